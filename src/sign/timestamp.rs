//! PAdES B-T: an RFC 3161 timestamp over the signature's value, asked of the timestamp authority
//! `tongbao.yaml` names (`时间戳服务`) and kept in the signer's unsigned attributes, so that the
//! time of signing is vouched for by someone other than the signer.

use der::asn1::{BitString, ObjectIdentifier, OctetString};
use der::{Any, Decode as _, Encode as _, Sequence};
use sha2_11::{Digest as _, Sha256};

/// `id-aa-signatureTimeStampToken`.
pub(crate) const TOKEN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// Time the authority has to answer.
const WAIT: std::time::Duration = std::time::Duration::from_secs(20);
/// Largest answer (a token with its certificates is a few KiB).
const ANSWER_BYTES: usize = 256 << 10;

#[derive(Sequence)]
struct MessageImprint {
    hash_algorithm: spki::AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

#[derive(Sequence)]
struct TimeStampReq {
    version: u8,
    message_imprint: MessageImprint,
    nonce: u64,
    cert_req: bool,
}

#[derive(Sequence)]
struct PkiStatusInfo {
    status: u32,
    #[asn1(optional = "true")]
    status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    fail_info: Option<BitString>,
}

#[derive(Sequence)]
struct TimeStampResp {
    status: PkiStatusInfo,
    #[asn1(optional = "true")]
    token: Option<Any>,
}

/// The authority's token for a signature whose value is `signature`, checked to stamp it.
pub(crate) fn token(url: &url::Url, signature: &[u8]) -> Result<Any, String> {
    let failed = |e: der::Error| format!("无法生成时间戳请求：{e}");
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| format!("无法生成时间戳请求：{e}"))?;
    let request = TimeStampReq {
        version: 1,
        message_imprint: MessageImprint {
            hash_algorithm: sha256(),
            hashed_message: OctetString::new(Sha256::digest(signature).to_vec()).map_err(failed)?,
        },
        nonce: u64::from_be_bytes(nonce) >> 1,
        cert_req: true,
    };
    let body = request.to_der().map_err(failed)?;
    let asked = |why: String| format!("时间戳服务 {url}：{why}");
    let answer = crate::http::post(
        url,
        "application/timestamp-query",
        body,
        "application/timestamp-reply",
        ANSWER_BYTES,
        WAIT,
    )
    .map_err(asked)?;
    let response = TimeStampResp::from_der(&answer).map_err(|_| asked("回应不是 RFC 3161 时间戳".into()))?;
    if response.status.status > 1 {
        let said = response.status.status_string.unwrap_or_default().join("；");
        return Err(asked(format!("拒绝了请求（状态 {}）{said}", response.status.status)));
    }
    let token = response.token.ok_or_else(|| asked("回应中没有时间戳".into()))?;
    stamped(&token, signature).map_err(asked)?;
    Ok(token)
}

/// The time `token` states, once it is checked to stamp `signature`: its imprint is the
/// signature's SHA-256, the digest its authority signed is its content's, and the authority's
/// signature verifies with the certificate the token carries.
pub(crate) fn stamped(token: &Any, signature: &[u8]) -> Result<String, String> {
    let broken = || "时间戳已损坏".to_string();
    let info: cms::content_info::ContentInfo = token.decode_as().map_err(|_| broken())?;
    let data: cms::signed_data::SignedData = info.content.decode_as().map_err(|_| broken())?;
    let content = data.encap_content_info.econtent.as_ref().ok_or_else(broken)?;
    let tst = content.decode_as::<OctetString>().map_err(|_| broken())?;
    let fields = elements(tst.as_bytes()).ok_or_else(broken)?;
    let imprint = fields
        .get(2)
        .and_then(|f| MessageImprint::from_der(f).ok())
        .ok_or_else(broken)?;
    if imprint.hashed_message.as_bytes() != Sha256::digest(signature).as_slice() {
        return Err("时间戳不是这个签名的".into());
    }
    let authority =
        super::signer_of(&data, &Sha256::digest(tst.as_bytes())).map_err(|why| format!("时间戳无效：{why}"))?;
    let time = fields.get(4).map(|f| generalized_time(f)).ok_or_else(broken)?;
    Ok(format!(
        "{time}（时间戳服务 {}）",
        authority.tbs_certificate().subject()
    ))
}

fn sha256() -> spki::AlgorithmIdentifierOwned {
    spki::AlgorithmIdentifierOwned {
        oid: const_oid::db::rfc5912::ID_SHA_256,
        parameters: None,
    }
}

/// The encodings of the elements of the SEQUENCE `der`.
fn elements(der: &[u8]) -> Option<Vec<&[u8]>> {
    use der::Reader as _;
    let mut outer = der::SliceReader::new(der).ok()?;
    let header = der::Header::decode(&mut outer).ok()?;
    let body = outer.read_slice(header.length()).ok()?;
    let mut reader = der::SliceReader::new(body).ok()?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        let start = usize::try_from(reader.position()).ok()?;
        der::AnyRef::decode(&mut reader).ok()?;
        let end = usize::try_from(reader.position()).ok()?;
        out.push(body.get(start..end)?);
    }
    Some(out)
}

/// A GeneralizedTime (`20261206224000.123Z`) as `2026-12-06 22:40:00 UTC`.
fn generalized_time(tlv: &[u8]) -> String {
    let text = std::str::from_utf8(tlv.get(2..).unwrap_or_default()).unwrap_or_default();
    let digit = |r: std::ops::Range<usize>| text.get(r).unwrap_or("??");
    format!(
        "{}-{}-{} {}:{}:{} UTC",
        digit(0..4),
        digit(4..6),
        digit(6..8),
        digit(8..10),
        digit(10..12),
        digit(12..14)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(crate::limits::fuzz_config(4))]

        /// Any token, however damaged: a reason, never a panic.
        #[test]
        fn any_token_is_refused_or_checked(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let token = Any::new(der::Tag::Sequence, bytes).unwrap();
            proptest::prop_assert!(stamped(&token, b"signature").is_err());
        }
    }
}
