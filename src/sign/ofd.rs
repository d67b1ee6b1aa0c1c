//! The OFD sealed with an electronic seal, as GB/T 33190-2016 §18 and GB/T 38540-2020 describe:
//! each seal adds `Doc_0/Signs/Sign_N/` with `Signature.xml` (the SM3 digest of every file of the
//! package it protects, the stamp's place on its page, where the seal and the signature are),
//! the seal itself (`Seal.esl`) and `SignedValue.dat` (`SES_Signature`, V4: the SM3 of
//! `Signature.xml`, signed with SM2 by the office whose certificate the seal lists). The package's
//! `Signatures.xml` lists them and is left unprotected, so that a later seal (a joint circular's
//! second office, say) can be added: each seal protects everything sealed before it.
//!
//! The seal's picture is drawn by readers at the stamp's place, which is where the layout printed
//! the seal (the same place the PDF's signature field covers).

use base64ct::{Base64, Encoding as _};
use der::asn1::{BitString, GeneralizedTime, Ia5String, ObjectIdentifier, OctetString};
use der::{Any, Decode as _, Encode as _, Sequence};
use quick_xml::events::Event;
use sm3::{Digest as _, Sm3};
use std::fmt::Write as _;
use x509_cert::Certificate;

use super::Stamp;
use super::seal::{DIST_ID, SM2_WITH_SM3, Seal};
use crate::output::ofd::{Package, pack, unpack};

/// SM3, as `References@CheckMethod` names it.
const SM3_OID: &str = "1.2.156.10197.1.401";
const NAMESPACE: &str = "http://www.ofdspec.org/2016";
const SIGNATURES: &str = "Doc_0/Signs/Signatures.xml";

/// `TBS_Sign` (V4): what the office signs.
#[derive(Sequence)]
struct TbsSign {
    version: u32,
    eseal: Any,
    time_info: GeneralizedTime,
    data_hash: BitString,
    property_info: Ia5String,
    #[asn1(context_specific = "0", optional = "true")]
    ext_datas: Option<Any>,
}

/// `SES_Signature` (V4).
#[derive(Sequence)]
struct SesSignature {
    to_sign: TbsSign,
    cert: OctetString,
    signature_alg_id: ObjectIdentifier,
    signature: BitString,
    #[asn1(context_specific = "0", optional = "true")]
    time_stamp: Option<BitString>,
}

/// An office's electronic seal with the SM2 key and certificate it seals with, checked: the
/// seal's maker signed it, it is within its validity, and it lists the certificate.
pub(crate) struct SealKey {
    esl: Vec<u8>,
    key: Vec<u8>,
    cert: Certificate,
    name: String,
}

impl SealKey {
    /// The seal's name (`西宁市城中区人民政府办公室`).
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The sealing office's certificate subject.
    pub(crate) fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }
}

/// Reads seal `esl` and the PEM file `pem` holding the office's SM2 key (opened with `password`
/// when encrypted) and its certificate, and checks that they belong together.
pub(crate) fn seal_key(esl: Vec<u8>, pem: &[u8], password: &str) -> Result<SealKey, String> {
    let (key, certificates) = super::sm2_pem(pem, password)?;
    let public = sm2_public(&key)?;
    let cert = certificates
        .into_iter()
        .find(|c| {
            c.tbs_certificate()
                .subject_public_key_info()
                .subject_public_key
                .raw_bytes()
                == public.as_slice()
        })
        .ok_or("PEM 文件中没有与私钥对应的证书（签章者的 SM2 证书）")?;
    super::within_validity(&cert, std::time::SystemTime::now(), "签章者的证书")?;
    let seal = Seal::from_der(&esl).map_err(|_| "不是 GB/T 38540 电子印章文件（.esl）".to_string())?;
    let checked = check_seal(&seal, std::time::SystemTime::now())?;
    if !checked.holders.iter().any(|h| h == &cert) {
        return Err(format!(
            "印章“{}”没有授权证书“{}”使用（印章所列的持章者证书中没有它）",
            checked.name,
            cert.tbs_certificate().subject()
        ));
    }
    Ok(SealKey {
        esl,
        key,
        cert,
        name: checked.name,
    })
}

/// What a seal says, once its maker's signature is checked.
struct Checked {
    name: String,
    maker: Certificate,
    holders: Vec<Certificate>,
}

/// Checks a seal: version 4, signed by its maker (SM2 over its information), valid at `at`.
fn check_seal(seal: &Seal, at: std::time::SystemTime) -> Result<Checked, String> {
    let info = &seal.e_seal_info;
    let name = info.property.name.clone();
    if info.header.version != 4 || info.header.id.as_str() != "ES" {
        return Err(format!("印章“{name}”不是 GB/T 38540-2020（第 4 版）的电子印章"));
    }
    let maker = Certificate::from_der(seal.cert.as_bytes()).map_err(|_| format!("印章“{name}”中制章者的证书已损坏"))?;
    let signed = info.to_der().map_err(|_| format!("印章“{name}”已损坏"))?;
    let signature = seal.signed_value.as_bytes().unwrap_or_default();
    if seal.sign_alg_id != SM2_WITH_SM3 || !sm2_verifies(&maker, &signed, signature) {
        return Err(format!(
            "印章“{name}”的制章者签名无效：印章文件被改动过，或不是制章者签发的"
        ));
    }
    let (start, end) = (
        info.property.valid_start.to_system_time(),
        info.property.valid_end.to_system_time(),
    );
    if at < start || at > end {
        return Err(format!(
            "印章“{name}”不在有效期内（{} 至 {}）",
            info.property.valid_start.to_date_time(),
            info.property.valid_end.to_date_time()
        ));
    }
    if info.property.cert_list_type != 1 {
        return Err(format!(
            "印章“{name}”以证书摘要列出持章者，tongbao 只支持列出证书的印章"
        ));
    }
    let holders = info
        .property
        .cert_list
        .iter()
        .filter_map(|c| c.decode_as::<OctetString>().ok())
        .filter_map(|o| Certificate::from_der(o.as_bytes()).ok())
        .collect();
    Ok(Checked { name, maker, holders })
}

/// `package` sealed with each of `seals` in turn, each at its stamp (or without a visible stamp),
/// `now` the time of sealing.
pub(crate) fn seal_ofd(
    package: &[u8],
    seals: &[(&SealKey, Option<Stamp>)],
    now: std::time::SystemTime,
) -> Result<Vec<u8>, String> {
    let Package { mut parts, time } = unpack(package)?;
    let pages = page_ids(&parts)?;
    let mut listed = existing_signatures(&parts)?;
    for (key, stamp) in seals {
        let n = listed.len();
        let dir = format!("Doc_0/Signs/Sign_{n}");
        let stamp = stamp
            .map(|s| {
                let page = pages.get(s.page).ok_or("印章所在的页不存在")?;
                Ok::<_, String>((page.clone(), s))
            })
            .transpose()?;
        add_signatures_entry(&mut parts)?;
        let xml = signature_xml(&parts, &dir, stamp, now)?;
        let value = signed_value(key, &xml, &format!("/{dir}/Signature.xml"), now)?;
        parts.retain(|(name, _)| name != SIGNATURES);
        parts.push((format!("{dir}/Seal.esl"), key.esl.clone()));
        parts.push((format!("{dir}/Signature.xml"), xml.into_bytes()));
        parts.push((format!("{dir}/SignedValue.dat"), value));
        listed.push(format!("/{dir}/Signature.xml"));
        parts.push((SIGNATURES.to_string(), signatures_xml(&listed).into_bytes()));
    }
    pack(&parts, time).map_err(|e| format!("无法写出盖章的 OFD：{e}"))
}

/// Each page's ID, in page order, from `Doc_0/Document.xml`.
fn page_ids(parts: &[(String, Vec<u8>)]) -> Result<Vec<String>, String> {
    let document = part(parts, "Doc_0/Document.xml").ok_or("OFD 中没有 Doc_0/Document.xml")?;
    attribute_values(document, "Page", "ID")
}

/// The `Signature.xml` files `Signatures.xml` already lists (a package sealed before).
fn existing_signatures(parts: &[(String, Vec<u8>)]) -> Result<Vec<String>, String> {
    match part(parts, SIGNATURES) {
        Some(xml) => attribute_values(xml, "Signature", "BaseLoc"),
        None => Ok(Vec::new()),
    }
}

/// Attribute `attribute` of every `element` of `xml`, in order (any prefix).
fn attribute_values(xml: &[u8], element: &str, attribute: &str) -> Result<Vec<String>, String> {
    let mut values = Vec::new();
    each_node(xml, |node| {
        if let Node::Start(name, attrs) = node
            && name == element
        {
            values.extend(attrs.into_iter().find(|(k, _)| k == attribute).map(|(_, v)| v));
        }
    })?;
    Ok(values)
}

/// `OFD.xml` with `<ofd:Signatures>` after its `DocRoot`, once.
fn add_signatures_entry(parts: &mut [(String, Vec<u8>)]) -> Result<(), String> {
    let (_, entry) = parts
        .iter_mut()
        .find(|(n, _)| n == "OFD.xml")
        .ok_or("OFD 中没有 OFD.xml")?;
    let text = String::from_utf8(entry.clone()).map_err(|_| "OFD.xml 不是 UTF-8 文本")?;
    if text.contains(":Signatures>") {
        return Ok(());
    }
    let at = text.find("</ofd:DocRoot>").ok_or("OFD.xml 中没有 DocRoot")? + "</ofd:DocRoot>".len();
    let mut text = text;
    text.insert_str(at, &format!("<ofd:Signatures>/{SIGNATURES}</ofd:Signatures>"));
    *entry = text.into_bytes();
    Ok(())
}

fn signatures_xml(listed: &[String]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signatures xmlns:ofd=\"{NAMESPACE}\"><ofd:MaxSignId>{}</ofd:MaxSignId>",
        listed.len()
    );
    for (i, loc) in listed.iter().enumerate() {
        let _ = write!(
            xml,
            r#"<ofd:Signature ID="{}" Type="Seal" BaseLoc="{}"/>"#,
            i + 1,
            quick_xml::escape::escape(loc)
        );
    }
    xml.push_str("</ofd:Signatures>");
    xml
}

/// `Signature.xml` of the seal in `dir`: the SM3 of every file in the package but the list of
/// signatures, the stamp on its page, where the seal and the signed value are.
fn signature_xml(
    parts: &[(String, Vec<u8>)],
    dir: &str,
    stamp: Option<(String, Stamp)>,
    now: std::time::SystemTime,
) -> Result<String, String> {
    let time = GeneralizedTime::from_system_time(now).map_err(|_| "系统时间不对")?;
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signature xmlns:ofd=\"{NAMESPACE}\"><ofd:SignedInfo>\
         <ofd:Provider ProviderName=\"tongbao\" Version=\"{}\"/><ofd:SignatureMethod>{SM2_WITH_SM3}</ofd:SignatureMethod>\
         <ofd:SignatureDateTime>{}</ofd:SignatureDateTime><ofd:References CheckMethod=\"{SM3_OID}\">",
        env!("CARGO_PKG_VERSION"),
        generalized(&time)
    );
    for (name, bytes) in parts.iter().filter(|(n, _)| n != SIGNATURES) {
        let _ = write!(
            xml,
            r#"<ofd:Reference FileRef="/{}"><ofd:CheckValue>{}</ofd:CheckValue></ofd:Reference>"#,
            quick_xml::escape::escape(name),
            Base64::encode_string(&Sm3::digest(bytes))
        );
    }
    xml.push_str("</ofd:References>");
    if let Some((page, s)) = stamp {
        let _ = write!(
            xml,
            r#"<ofd:StampAnnot ID="1" PageRef="{page}" Boundary="{:.2} {:.2} {:.2} {:.2}"/>"#,
            s.x, s.y, s.width, s.height
        );
    }
    let _ = write!(
        xml,
        "<ofd:Seal><ofd:BaseLoc>/{dir}/Seal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>\
         <ofd:SignedValue>/{dir}/SignedValue.dat</ofd:SignedValue></ofd:Signature>"
    );
    Ok(xml)
}

/// `20261206223000Z`, as `SignatureDateTime` is written.
fn generalized(time: &GeneralizedTime) -> String {
    let t = time.to_date_time();
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minutes(),
        t.seconds()
    )
}

/// `SignedValue.dat`: the office's SM2 signature over `TBS_Sign` (the seal, the time, the SM3 of
/// `Signature.xml`, the path of `Signature.xml`).
fn signed_value(key: &SealKey, xml: &str, path: &str, now: std::time::SystemTime) -> Result<Vec<u8>, String> {
    let failed = |e: der::Error| format!("无法生成印章签名：{e}");
    let tbs = TbsSign {
        version: 4,
        eseal: Any::from_der(&key.esl).map_err(failed)?,
        time_info: GeneralizedTime::from_system_time(now).map_err(failed)?,
        data_hash: BitString::from_bytes(&Sm3::digest(xml.as_bytes())).map_err(failed)?,
        property_info: Ia5String::new(path).map_err(failed)?,
        ext_datas: None,
    };
    let signature = super::seal::sm2_sign(&key.key, &tbs.to_der().map_err(failed)?)?;
    SesSignature {
        to_sign: tbs,
        cert: OctetString::new(key.cert.to_der().map_err(failed)?).map_err(failed)?,
        signature_alg_id: SM2_WITH_SM3,
        signature: BitString::from_bytes(&signature).map_err(failed)?,
        time_stamp: None,
    }
    .to_der()
    .map_err(failed)
}

/// One seal of a sealed OFD, checked.
pub(crate) struct Sealed {
    /// The seal's name.
    pub name: String,
    /// The sealing office's certificate and the seal maker's.
    pub signer: Certificate,
    pub maker: Certificate,
    /// The files it protects.
    pub references: usize,
    /// When it was sealed (`TBS_Sign.timeInfo`).
    pub time: String,
}

/// Checks every seal of OFD `package`: each protected file's SM3 digest, the office's SM2
/// signature over `TBS_Sign` and its digest of `Signature.xml`, the seal's maker's signature, the
/// seal's and the certificate's validity at the time of sealing, and that the seal lists the
/// certificate. `Ok(empty)` for an OFD without seals; per seal, what it is or why it fails.
pub(crate) fn verify_ofd(package: &[u8]) -> Result<Vec<Result<Sealed, String>>, String> {
    let Package { parts, .. } = unpack(package)?;
    let listed = existing_signatures(&parts)?;
    Ok(listed.iter().map(|loc| verify_one(&parts, loc)).collect())
}

fn verify_one(parts: &[(String, Vec<u8>)], loc: &str) -> Result<Sealed, String> {
    let path = loc.trim_start_matches('/');
    let xml = part(parts, path).ok_or_else(|| format!("{path} 不见了"))?;
    let mut refs: Vec<(String, String)> = Vec::new();
    let (mut method, mut value_loc, mut seal_loc, mut current) = (None, None, None, None);
    let mut text_of = String::new();
    each_node(xml, |event| match event {
        Node::Start(name, attrs) => {
            text_of = name.to_string();
            if name == "References" {
                method = attrs.iter().find(|(k, _)| k == "CheckMethod").map(|(_, v)| v.clone());
            }
            if name == "Reference" {
                current = attrs.iter().find(|(k, _)| k == "FileRef").map(|(_, v)| v.clone());
            }
        }
        Node::Text(text) => match text_of.as_str() {
            "CheckValue" => refs.extend(current.take().map(|f| (f, text.trim().to_string()))),
            "SignedValue" => value_loc = Some(text.trim().to_string()),
            "BaseLoc" => seal_loc = Some(text.trim().to_string()),
            _ => {}
        },
    })?;
    if method.as_deref().is_some_and(|m| m != SM3_OID && m != "SM3") {
        return Err(format!("{path} 用的摘要算法 {} 不是 SM3", method.unwrap_or_default()));
    }
    for (file, expected) in &refs {
        let name = file.trim_start_matches('/');
        let bytes = part(parts, name).ok_or_else(|| format!("受保护的文件 {name} 不见了"))?;
        if Base64::encode_string(&Sm3::digest(bytes)) != *expected {
            return Err(format!("受保护的文件 {name} 在盖章之后被改动过"));
        }
    }
    let value_loc = value_loc.ok_or_else(|| format!("{path} 没有写明签名值（SignedValue）"))?;
    let value = part(parts, value_loc.trim_start_matches('/')).ok_or_else(|| format!("{value_loc} 不见了"))?;
    let signature = SesSignature::from_der(value).map_err(|_| format!("{value_loc} 不是 GB/T 38540 的签章数据"))?;
    let sealed = check_signature(&signature, xml)?;
    // The seal file beside the signature is the seal signed (readers may draw its picture).
    if let Some(loc) = seal_loc {
        let name = loc.trim_start_matches('/');
        let beside = part(parts, name).ok_or_else(|| format!("印章文件 {name} 不见了"))?;
        if signature.to_sign.eseal.to_der().ok().as_deref() != Some(beside) {
            let file = name.rsplit('/').next().unwrap_or(name);
            return Err(format!("{file} 与签章中的印章不同：印章文件被替换或改动过"));
        }
    }
    Ok(Sealed {
        references: refs.len(),
        ..sealed
    })
}

/// The office's signature and the seal inside it.
fn check_signature(signature: &SesSignature, xml: &[u8]) -> Result<Sealed, String> {
    let tbs = &signature.to_sign;
    if tbs.data_hash.as_bytes() != Some(Sm3::digest(xml).as_slice()) {
        return Err("Signature.xml 在盖章之后被改动过".into());
    }
    let signer = Certificate::from_der(signature.cert.as_bytes()).map_err(|_| "签章者的证书已损坏".to_string())?;
    let signed = tbs.to_der().map_err(|_| "签章数据已损坏".to_string())?;
    let value = signature.signature.as_bytes().unwrap_or_default();
    if signature.signature_alg_id != SM2_WITH_SM3 || !sm2_verifies(&signer, &signed, value) {
        return Err("签章者的 SM2 签名无效：签章数据被改动过".into());
    }
    let at = tbs.time_info.to_system_time();
    super::within_validity(&signer, at, "签章者的证书")?;
    let seal = tbs
        .eseal
        .decode_as::<Seal>()
        .map_err(|_| "签章中的电子印章已损坏".to_string())?;
    let checked = check_seal(&seal, at)?;
    if !checked.holders.contains(&signer) {
        return Err(format!("印章“{}”没有授权签章者的证书使用", checked.name));
    }
    Ok(Sealed {
        name: checked.name,
        signer,
        maker: checked.maker,
        references: 0,
        time: tbs.time_info.to_date_time().to_string(),
    })
}

/// Whether `signature` (DER) is `certificate`'s SM2 signature over `message` (default user ID).
pub(super) fn sm2_verifies(certificate: &Certificate, message: &[u8], signature: &[u8]) -> bool {
    use rsa::signature::Verifier as _;
    let point = certificate
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .raw_bytes();
    let Ok(key) = sm2::dsa::VerifyingKey::from_sec1_bytes(DIST_ID, point) else {
        return false;
    };
    sm2::dsa::Signature::from_der(signature).is_ok_and(|s| key.verify(message, &s).is_ok())
}

/// The public point of an SM2 key (PKCS#8 DER), as a certificate carries it.
fn sm2_public(key: &[u8]) -> Result<Vec<u8>, String> {
    use sm2::pkcs8::DecodePrivateKey as _;
    let secret = sm2::SecretKey::from_pkcs8_der(key).map_err(|_| "私钥不是 SM2 密钥（PKCS#8）".to_string())?;
    Ok(secret.public_key().to_sec1_bytes().to_vec())
}

fn part<'a>(parts: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    parts.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice())
}

/// What the small XML files read here are made of.
enum Node<'a> {
    Start(&'a str, Vec<(String, String)>),
    Text(&'a str),
}

/// Calls `visit` with each element's local name and attributes, and each text, in order.
fn each_node(xml: &[u8], mut visit: impl FnMut(Node<'_>)) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("XML 已损坏：{e}"))?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = local(e.name().into_inner());
                let attrs = e
                    .attributes()
                    .filter_map(Result::ok)
                    .map(|a| {
                        let value = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map(|v| v.to_string())
                            .unwrap_or_default();
                        (local(a.key.into_inner()), value)
                    })
                    .collect();
                visit(Node::Start(&name, attrs));
            }
            Event::Text(t) => {
                let text = t.xml10_content().to_string();
                visit(Node::Text(&text));
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// A name without its prefix.
fn local<T: AsRef<[u8]> + ?Sized>(name: &T) -> String {
    let name = name.as_ref();
    let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
    String::from_utf8_lossy(local).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(signature_xml: &str, value: &[u8]) -> Vec<u8> {
        let parts = vec![
            (
                "OFD.xml".to_string(),
                b"<ofd:OFD><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>".to_vec(),
            ),
            (
                SIGNATURES.to_string(),
                br#"<ofd:Signatures><ofd:Signature ID="1" BaseLoc="/Doc_0/Signs/Sign_0/Signature.xml"/></ofd:Signatures>"#
                    .to_vec(),
            ),
            ("Doc_0/Signs/Sign_0/Signature.xml".to_string(), signature_xml.as_bytes().to_vec()),
            ("Doc_0/Signs/Sign_0/SignedValue.dat".to_string(), value.to_vec()),
        ];
        pack(&parts, zip::DateTime::default()).unwrap()
    }

    #[test]
    fn a_seal_that_is_not_one_is_refused_with_a_reason() {
        let xml = "<ofd:Signature><ofd:SignedInfo><ofd:References CheckMethod=\"1.2.156.10197.1.401\">\
                   </ofd:References></ofd:SignedInfo><ofd:SignedValue>/Doc_0/Signs/Sign_0/SignedValue.dat</ofd:SignedValue></ofd:Signature>";
        let seals = verify_ofd(&package(xml, b"\x30\x03\x02\x01\x04")).unwrap();
        assert!(matches!(&seals[..], [Err(why)] if why.contains("不是 GB/T 38540 的签章数据")));
        let md5 = xml.replace("1.2.156.10197.1.401", "MD5");
        let seals = verify_ofd(&package(&md5, b"")).unwrap();
        assert!(matches!(&seals[..], [Err(why)] if why.contains("不是 SM3")));
        assert!(verify_ofd(b"PK\x03\x04 not a zip").is_err());
    }

    proptest::proptest! {
        #![proptest_config(crate::limits::fuzz_config(4))]

        /// Any signature description and signed value: a reason, never a panic.
        #[test]
        fn any_seal_is_refused_or_checked(
            xml in "(<ofd:[A-Za-z]{1,12}( [A-Za-z]{1,8}=\"[/A-Za-z0-9_.=+]{0,40}\")?>[/A-Za-z0-9_.=+]{0,40}){0,12}",
            value in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let _ = verify_ofd(&package(&xml, &value));
        }
    }
}
