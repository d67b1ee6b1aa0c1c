//! An electronic seal (电子印章) as GB/T 38540-2020 defines it (version 4): the seal's picture,
//! its name and holder certificates and its validity (`SES_SealInfo`), signed with SM2 over SM3 by
//! the seal maker (`SESeal`), written as a `.esl` file. A legally valid seal comes from the
//! authority that issues seals; `tongbao seal` makes one for testing, and for offices whose
//! authority lets them make their own.

use der::Any;
use der::asn1::{BitString, GeneralizedTime, Ia5String, ObjectIdentifier, OctetString};
use der::{Encode as _, Sequence};
use x509_cert::Certificate;

/// SM2 with SM3 (GM/T 0006).
pub(crate) const SM2_WITH_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");
/// The user ID SM2 signatures use when none is agreed (GM/T 0009).
pub(crate) const DIST_ID: &str = "1234567812345678";

#[derive(Sequence)]
pub(super) struct Header {
    pub id: Ia5String,
    pub version: u32,
    pub vid: Ia5String,
}

#[derive(Sequence)]
pub(super) struct PropertyInfo {
    pub kind: u32,
    pub name: String,
    /// 1: `cert_list` holds the holders' certificates (OCTET STRINGs); 2: their digests.
    pub cert_list_type: u32,
    pub cert_list: Vec<Any>,
    pub create_date: GeneralizedTime,
    pub valid_start: GeneralizedTime,
    pub valid_end: GeneralizedTime,
}

#[derive(Sequence)]
pub(super) struct PictureInfo {
    pub kind: Ia5String,
    pub data: OctetString,
    pub width: u32,
    pub height: u32,
}

/// `SES_SealInfo`.
#[derive(Sequence)]
pub(super) struct SealInfo {
    pub header: Header,
    pub es_id: Ia5String,
    pub property: PropertyInfo,
    pub picture: PictureInfo,
    #[asn1(optional = "true")]
    pub ext_datas: Option<Any>,
}

/// `SESeal` (V4): the seal's information and its maker's signature over it.
#[derive(Sequence)]
pub(super) struct Seal {
    pub e_seal_info: SealInfo,
    pub cert: OctetString,
    pub sign_alg_id: ObjectIdentifier,
    pub signed_value: BitString,
}

/// What a seal is made of.
pub(crate) struct Request<'a> {
    /// The seal's name (`西宁市城中区人民政府办公室`).
    pub name: &'a str,
    /// Its picture (PNG or SVG) and its size in millimetres.
    pub picture: &'a [u8],
    pub diameter_mm: u32,
    /// The certificates of whoever may seal with it (the office's signing certificates).
    pub holders: &'a [Certificate],
    /// Days it is valid from now.
    pub days: u32,
    /// The seal maker's certificate and SM2 key (PKCS#8 DER).
    pub maker: &'a Certificate,
    pub maker_key: &'a [u8],
}

/// The `.esl` file: `SESeal` (V4), DER.
pub(crate) fn make(request: &Request<'_>) -> Result<Vec<u8>, String> {
    let failed = |e: &dyn std::fmt::Display| format!("无法生成印章：{e}");
    let kind = if request.picture.starts_with(b"\x89PNG") {
        "PNG"
    } else if request.picture.windows(4).any(|w| w == b"<svg") {
        "SVG"
    } else {
        return Err("印章图片须是 PNG 或 SVG".into());
    };
    let now = std::time::SystemTime::now();
    let until = now + std::time::Duration::from_secs(u64::from(request.days) * 86_400);
    let time = |t| GeneralizedTime::from_system_time(t).map_err(|e| failed(&e));
    let ia5 = |s: &str| Ia5String::new(s).map_err(|e| failed(&e));
    let holders = request
        .holders
        .iter()
        .map(|c| {
            c.to_der()
                .and_then(OctetString::new)
                .and_then(|o| Any::encode_from(&o))
                .map_err(|e| failed(&e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let info = SealInfo {
        header: Header {
            id: ia5("ES")?,
            version: 4,
            vid: ia5("tongbao")?,
        },
        es_id: ia5(&format!(
            "{:016X}",
            now.duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0) as u64
        ))?,
        property: PropertyInfo {
            // 1: an organisation's seal.
            kind: 1,
            name: request.name.to_string(),
            cert_list_type: 1,
            cert_list: holders,
            create_date: time(now)?,
            valid_start: time(now)?,
            valid_end: time(until)?,
        },
        picture: PictureInfo {
            kind: ia5(kind)?,
            data: OctetString::new(request.picture.to_vec()).map_err(|e| failed(&e))?,
            width: request.diameter_mm,
            height: request.diameter_mm,
        },
        ext_datas: None,
    };
    let signed = info.to_der().map_err(|e| failed(&e))?;
    let signature = sm2_sign(request.maker_key, &signed)?;
    let seal = Seal {
        e_seal_info: info,
        cert: OctetString::new(request.maker.to_der().map_err(|e| failed(&e))?).map_err(|e| failed(&e))?,
        sign_alg_id: SM2_WITH_SM3,
        signed_value: BitString::from_bytes(&signature).map_err(|e| failed(&e))?,
    };
    seal.to_der().map_err(|e| failed(&e))
}

/// An SM2 signature (with SM3 and the default user ID) over `message`, DER-encoded.
pub(crate) fn sm2_sign(key: &[u8], message: &[u8]) -> Result<Vec<u8>, String> {
    use rsa::signature::Signer as _;
    use sm2::pkcs8::DecodePrivateKey as _;
    let secret = sm2::SecretKey::from_pkcs8_der(key).map_err(|_| "私钥不是 SM2 密钥（PKCS#8）".to_string())?;
    let signing = sm2::dsa::SigningKey::new(DIST_ID, &secret).map_err(|e| format!("SM2 密钥无法使用：{e}"))?;
    let signature: sm2::dsa::Signature = signing.try_sign(message).map_err(|e| format!("SM2 签名失败：{e}"))?;
    Ok(signature.to_der().as_bytes().to_vec())
}
