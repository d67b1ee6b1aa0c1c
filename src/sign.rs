//! The office's digital signature on an issued PDF: PAdES baseline B-B (ETSI EN 319 142-1), a
//! CMS signature (RFC 5652, detached, with the ESS signing-certificate-v2 attribute and no
//! signing time: the time is the signature dictionary's `/M`) over the whole file, added as an
//! incremental update (ISO 32000-1 §7.5.6) so that the circular's own bytes stay as they were
//! laid out: the first revision of a signed `issued.pdf` is the unsigned circular.
//!
//! Keys: a PKCS#12 file (`.p12`/`.pfx`, as OpenSSL 3 and Windows write them: PBES2 with AES and
//! PBKDF2, or the legacy ciphers are refused with a message) or a PEM file holding a PKCS#8 key
//! (encrypted or not) and the certificate chain, the signer's first. RSA (PKCS #1 v1.5 with
//! SHA-256) and ECDSA P-256 (with SHA-256).

use der::asn1::{OctetString, SetOfVec};
use der::{Decode, Encode, Sequence};
use lopdf::{Dictionary, Object, StringFormat};
use sha2_11::{Digest, Sha256};
use x509_cert::Certificate;

pub(crate) mod ofd;
pub(crate) mod seal;
mod timestamp;
mod token;

/// Bytes reserved for the CMS signature in `/Contents` (hex doubles them in the file).
const RESERVED: usize = 16 * 1024;

/// A signing key and its certificate chain (the signer's certificate first).
pub(crate) struct Key {
    chain: Vec<Certificate>,
    key: Kind,
}

enum Kind {
    Rsa(rsa::pkcs1v15::SigningKey<Sha256>),
    Ecdsa(p256::ecdsa::SigningKey),
    TokenRsa(TokenRsa),
    TokenEcdsa(TokenEcdsa),
}

/// A token's RSA key as CMS's builder signs with it.
struct TokenRsa {
    token: token::TokenKey,
    public: rsa::pkcs1v15::VerifyingKey<Sha256>,
}

impl rsa::signature::Keypair for TokenRsa {
    type VerifyingKey = rsa::pkcs1v15::VerifyingKey<Sha256>;
    fn verifying_key(&self) -> Self::VerifyingKey {
        self.public.clone()
    }
}

impl spki::SignatureAlgorithmIdentifier for TokenRsa {
    type Params = der::asn1::AnyRef<'static>;
    const SIGNATURE_ALGORITHM_IDENTIFIER: spki::AlgorithmIdentifier<Self::Params> = spki::AlgorithmIdentifier {
        oid: const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
        parameters: Some(der::asn1::AnyRef::NULL),
    };
}

impl rsa::signature::Signer<rsa::pkcs1v15::Signature> for TokenRsa {
    fn try_sign(&self, message: &[u8]) -> Result<rsa::pkcs1v15::Signature, rsa::signature::Error> {
        let bytes = self.token.sign_rsa(message).map_err(|_| rsa::signature::Error::new())?;
        rsa::pkcs1v15::Signature::try_from(bytes.as_slice())
    }
}

/// A token's P-256 key as CMS's builder signs with it.
struct TokenEcdsa {
    token: token::TokenKey,
    public: p256::ecdsa::VerifyingKey,
}

impl rsa::signature::Keypair for TokenEcdsa {
    type VerifyingKey = p256::ecdsa::VerifyingKey;
    fn verifying_key(&self) -> Self::VerifyingKey {
        self.public
    }
}

impl spki::SignatureAlgorithmIdentifier for TokenEcdsa {
    type Params = der::asn1::AnyRef<'static>;
    const SIGNATURE_ALGORITHM_IDENTIFIER: spki::AlgorithmIdentifier<Self::Params> = spki::AlgorithmIdentifier {
        oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
        parameters: None,
    };
}

impl rsa::signature::Signer<p256::ecdsa::DerSignature> for TokenEcdsa {
    fn try_sign(&self, message: &[u8]) -> Result<p256::ecdsa::DerSignature, rsa::signature::Error> {
        let bytes = self
            .token
            .sign_ecdsa(message)
            .map_err(|_| rsa::signature::Error::new())?;
        p256::ecdsa::DerSignature::try_from(bytes.as_slice())
    }
}

/// The key on token `label` (a UKey; `--sign pkcs11:LABEL`), opened with `pin`.
pub(crate) fn token_key(label: &str, pin: &str) -> Result<Key, String> {
    let token = token::TokenKey::open(label, pin)?;
    let certificate = token.certificate.clone();
    let spki = certificate
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|_| "UKey 中的证书已损坏".to_string())?;
    let key = if let Ok(public) = <rsa::PublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_der(&spki) {
        Kind::TokenRsa(TokenRsa {
            token,
            public: rsa::pkcs1v15::VerifyingKey::new(public),
        })
    } else if let Ok(public) = <p256::ecdsa::VerifyingKey as p256::pkcs8::DecodePublicKey>::from_public_key_der(&spki) {
        Kind::TokenEcdsa(TokenEcdsa { token, public })
    } else {
        return Err("UKey 中的密钥类型不受支持：请用 RSA 或 ECDSA（P-256）密钥".into());
    };
    let key = Key {
        chain: vec![certificate],
        key,
    };
    key.check_validity()?;
    Ok(key)
}

impl Kind {
    /// The public key (SubjectPublicKeyInfo, DER), to find the certificate that belongs to it.
    fn public_der(&self) -> Result<Vec<u8>, spki::Error> {
        use rsa::pkcs8::EncodePublicKey as _;
        let der = match self {
            Kind::Rsa(k) => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(k.as_ref().to_public_key()).to_public_key_der(),
            Kind::Ecdsa(k) => k.verifying_key().to_public_key_der(),
            Kind::TokenRsa(k) => k.public.to_public_key_der(),
            Kind::TokenEcdsa(k) => k.public.to_public_key_der(),
        };
        der.map(|d| d.as_bytes().to_vec())
    }
}

impl Key {
    /// Refuses a certificate out of its validity period.
    fn check_validity(&self) -> Result<(), String> {
        within_validity(&self.chain[0], std::time::SystemTime::now(), "单位证书")
    }

    /// The signer's certificate subject, as a reader shows it.
    pub(crate) fn subject(&self) -> String {
        self.chain[0].tbs_certificate().subject().to_string()
    }
}

/// Refuses `certificate` (`what`: 单位证书, …) when `at` is outside its validity period.
pub(crate) fn within_validity(certificate: &Certificate, at: std::time::SystemTime, what: &str) -> Result<(), String> {
    let validity = certificate.tbs_certificate().validity();
    if at > validity.not_after.to_system_time() {
        return Err(format!("{what}已于 {} 过期：请向发证机构更新证书", validity.not_after));
    }
    if at < validity.not_before.to_system_time() {
        return Err(format!("{what}要到 {} 才生效", validity.not_before));
    }
    Ok(())
}

/// Reads a key file: PEM (a PKCS#8 key and certificates) or PKCS#12. `password` opens an
/// encrypted key. The reason, in Chinese, when it cannot be read; never the password.
pub(crate) fn read_key(bytes: &[u8], password: &str) -> Result<Key, String> {
    let (key, chain) = if bytes.starts_with(b"-----") || bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        pem(bytes, password)?
    } else {
        pkcs12(bytes, password)?
    };
    if chain.is_empty() {
        return Err("密钥文件中没有证书：签名需要单位的证书（及其上级证书）".into());
    }
    // The certificate that belongs to the key goes first.
    let public = key.public_der().map_err(|_| "无法读取私钥的公钥部分".to_string())?;
    let mut chain = chain;
    let own = chain
        .iter()
        .position(|c| c.tbs_certificate().subject_public_key_info().to_der().ok().as_deref() == Some(public.as_slice()))
        .ok_or("密钥文件中的证书与私钥不匹配：请导出单位证书及其私钥")?;
    chain.swap(0, own);
    let key = Key { chain, key };
    key.check_validity()?;
    Ok(key)
}

/// The blocks of a PEM file: each one's label and its DER bytes.
fn pem_blocks(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "PEM 文件不是文本".to_string())?;
    let mut blocks = Vec::new();
    for block in text.split("-----BEGIN ").skip(1) {
        let label = block.split("-----").next().unwrap_or("");
        let whole = format!("-----BEGIN {block}");
        let end = whole
            .find("-----END ")
            .and_then(|at| whole[at..].find('\n').map(|n| at + n))
            .unwrap_or(whole.len());
        let (_, der) =
            pem_rfc7468::decode_vec(whole[..end].trim().as_bytes()).map_err(|_| format!("PEM 块“{label}”已损坏"))?;
        blocks.push((label.to_string(), der));
    }
    Ok(blocks)
}

/// An SM2 key (PKCS#8, decrypted with `password` when encrypted) and the certificates of a PEM
/// file, for the electronic seal.
pub(crate) fn sm2_pem(bytes: &[u8], password: &str) -> Result<(Vec<u8>, Vec<Certificate>), String> {
    let mut key = None;
    let mut certificates = Vec::new();
    for (label, der) in pem_blocks(bytes)? {
        match label.as_str() {
            "CERTIFICATE" => certificates.push(Certificate::from_der(&der).map_err(|_| "证书已损坏".to_string())?),
            "PRIVATE KEY" => key = Some(der),
            "ENCRYPTED PRIVATE KEY" => {
                let info =
                    pkcs8::EncryptedPrivateKeyInfoRef::from_der(&der).map_err(|_| "加密的私钥已损坏".to_string())?;
                key = Some(
                    info.decrypt(password)
                        .map_err(|_| wrong_password())?
                        .as_bytes()
                        .to_vec(),
                );
            }
            _ => {}
        }
    }
    Ok((key.ok_or("PEM 文件中没有私钥（PRIVATE KEY）")?, certificates))
}

fn pem(bytes: &[u8], password: &str) -> Result<(Kind, Vec<Certificate>), String> {
    let mut key = None;
    let mut chain = Vec::new();
    for (label, der) in pem_blocks(bytes)? {
        match label.as_str() {
            "CERTIFICATE" => chain.push(Certificate::from_der(&der).map_err(|_| "证书已损坏".to_string())?),
            "PRIVATE KEY" => key = Some(private_key(&der)?),
            "ENCRYPTED PRIVATE KEY" => key = Some(encrypted_key(&der, password)?),
            _ => {}
        }
    }
    Ok((key.ok_or("PEM 文件中没有私钥（PRIVATE KEY）")?, chain))
}

/// A PKCS#8 key: RSA or ECDSA P-256.
fn private_key(der: &[u8]) -> Result<Kind, String> {
    use rsa::pkcs8::DecodePrivateKey as _;
    if let Ok(k) = rsa::PrivateKey::from_pkcs8_der(der) {
        return Ok(Kind::Rsa(rsa::pkcs1v15::SigningKey::new(k)));
    }
    p256::ecdsa::SigningKey::from_pkcs8_der(der)
        .map(Kind::Ecdsa)
        .map_err(|_| "私钥的类型不受支持：请用 RSA 或 ECDSA（P-256）密钥".into())
}

fn encrypted_key(der: &[u8], password: &str) -> Result<Kind, String> {
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).map_err(|_| "加密的私钥已损坏".to_string())?;
    let key = info.decrypt(password).map_err(|_| wrong_password())?;
    private_key(key.as_bytes())
}

fn wrong_password() -> String {
    "密码不对，或者密钥文件的加密方式不受支持（请用 OpenSSL 3 或 Windows 导出的 .p12 文件）".into()
}

/// PKCS#12 (RFC 7292): the key and certificate bags, in plain or password-encrypted contents.
fn pkcs12(bytes: &[u8], password: &str) -> Result<(Kind, Vec<Certificate>), String> {
    use cms::content_info::ContentInfo;
    const DATA: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
    const ENCRYPTED: der::oid::ObjectIdentifier = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
    let damaged = || "密钥文件不是有效的 PKCS#12（.p12/.pfx）或 PEM 文件".to_string();
    let pfx = Pfx::from_der(bytes).map_err(|_| damaged())?;
    let safe = pfx
        .auth_safe
        .content
        .decode_as::<OctetString>()
        .map_err(|_| damaged())?;
    let parts = Vec::<ContentInfo>::from_der(safe.as_bytes()).map_err(|_| damaged())?;
    let (mut key, mut chain) = (None, Vec::new());
    for part in parts {
        let contents = if part.content_type == DATA {
            part.content
                .decode_as::<OctetString>()
                .map_err(|_| damaged())?
                .as_bytes()
                .to_vec()
        } else if part.content_type == ENCRYPTED {
            let data = part
                .content
                .decode_as::<cms::encrypted_data::EncryptedData>()
                .map_err(|_| damaged())?;
            let info = data.enc_content_info;
            let scheme =
                pkcs8::pkcs5::EncryptionScheme::from_der(&info.content_enc_alg.to_der().map_err(|_| damaged())?)
                    .map_err(|_| wrong_password())?;
            let sealed = info.encrypted_content.ok_or_else(damaged)?;
            scheme
                .decrypt(password, sealed.as_bytes())
                .map_err(|_| wrong_password())?
        } else {
            continue;
        };
        for bag in Vec::<SafeBag>::from_der(&contents).map_err(|_| damaged())? {
            match bag.bag_id.to_string().as_str() {
                "1.2.840.113549.1.12.10.1.1" => {
                    key = Some(private_key(&bag.bag_value.to_der().map_err(|_| damaged())?)?)
                }
                "1.2.840.113549.1.12.10.1.2" => {
                    key = Some(encrypted_key(
                        &bag.bag_value.to_der().map_err(|_| damaged())?,
                        password,
                    )?)
                }
                "1.2.840.113549.1.12.10.1.3" => {
                    let cert = bag.bag_value.decode_as::<CertBag>().map_err(|_| damaged())?;
                    let der = cert.cert_value.decode_as::<OctetString>().map_err(|_| damaged())?;
                    chain.push(Certificate::from_der(der.as_bytes()).map_err(|_| damaged())?);
                }
                _ => {}
            }
        }
    }
    Ok((key.ok_or("PKCS#12 文件中没有私钥")?, chain))
}

/// `PFX ::= SEQUENCE { version, authSafe ContentInfo, macData OPTIONAL }` (the MAC is not
/// needed: a wrong password fails to decrypt).
#[derive(Sequence)]
struct Pfx {
    version: u8,
    auth_safe: cms::content_info::ContentInfo,
    mac_data: Option<der::Any>,
}

#[derive(Sequence)]
struct SafeBag {
    bag_id: der::oid::ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    bag_value: der::Any,
    bag_attributes: Option<SetOfVec<der::Any>>,
}

#[derive(Sequence)]
struct CertBag {
    cert_id: der::oid::ObjectIdentifier,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    cert_value: der::Any,
}

/// ESS `SigningCertificateV2` (RFC 5035) with the signer's certificate's SHA-256 (the default
/// algorithm, so not written).
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// Where a seal is printed, and so where a signature or an electronic seal goes: the page (from
/// 0), its box in millimetres from the page's top left, and the page's height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stamp {
    pub page: usize,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    pub page_height: f64,
}

impl Stamp {
    /// A PDF signature field over the stamp: its page and rectangle in points from the bottom left.
    pub(crate) fn pdf_field(&self) -> (usize, [f32; 4]) {
        let pt = |mm: f64| (mm * 72.0 / 25.4) as f32;
        let rect = [
            pt(self.x),
            pt(self.page_height - self.y - self.height),
            pt(self.x + self.width),
            pt(self.page_height - self.y),
        ];
        (self.page, rect)
    }
}

/// Each of `keys` with the seal it goes over, in order: as many keys as the circular prints seals
/// (a joint circular: one per office), or any number without a visible place when it prints none.
/// `what` names the keys in the refusal (`签名密钥`, `电子印章`).
pub(crate) fn placed<'k, K>(
    keys: &'k [K],
    stamps: &[Stamp],
    what: &str,
) -> Result<Vec<(&'k K, Option<Stamp>)>, String> {
    if !stamps.is_empty() && stamps.len() != keys.len() {
        return Err(format!(
            "通报印有 {} 枚印章，给了 {} 个{what}：联合行文时每枚印章配一个，按发文机关的次序",
            stamps.len(),
            keys.len()
        ));
    }
    Ok(keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k, stamps.get(i).copied()))
        .collect())
}

/// When and where a signature is made.
pub(crate) struct Placement {
    /// `D:YYYYMMDDHHmmSS+08'00'`-style time of signing (the `/M` entry).
    pub time: String,
    /// The page (0-based) the signature field is on, and its rectangle in points from the
    /// page's bottom left; an invisible field when `None`.
    pub field: Option<(usize, [f32; 4])>,
    /// The timestamp authority (PAdES B-T), if any.
    pub tsa: Option<url::Url>,
}

/// `pdf` signed with `key`: the PDF with one incremental update holding the signature.
pub(crate) fn sign_pdf(pdf: &[u8], key: &Key, placement: &Placement) -> Result<Vec<u8>, String> {
    let document = lopdf::Document::load_mem(pdf).map_err(|e| format!("无法读取要签名的 PDF：{e}"))?;
    let pages = document.get_pages();
    let (page_index, rect) = placement.field.unwrap_or((pages.len().saturating_sub(1), [0.0; 4]));
    let page = *pages.values().nth(page_index).ok_or("要签名的 PDF 没有这一页")?;
    let root = document
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| "PDF 没有目录（Root）".to_string())?;
    let mut fields = signature_fields(&document, root)?;
    let name = match fields.len() {
        0 => "单位签名".to_string(),
        n => format!("单位签名{}", n + 1),
    };
    let mut update = lopdf::IncrementalDocument::create_from(pdf.to_vec(), document);
    let signature = signature_dictionary(&mut update, &placement.time);
    let widget = field(&mut update, signature, page, rect, &name);
    update
        .opt_clone_object_to_new_document(page)
        .map_err(|e| e.to_string())?;
    let previous = update
        .get_prev_documents()
        .get_dictionary(page)
        .map_err(|e| e.to_string())?;
    let mut annots = match previous.get(b"Annots") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => update
            .get_prev_documents()
            .get_object(*r)
            .and_then(Object::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    annots.push(widget.into());
    update
        .new_document
        .get_object_mut(page)
        .and_then(Object::as_dict_mut)
        .map_err(|e| e.to_string())?
        .set("Annots", annots);
    update
        .opt_clone_object_to_new_document(root)
        .map_err(|e| e.to_string())?;
    let catalog = update
        .new_document
        .get_object_mut(root)
        .and_then(Object::as_dict_mut)
        .map_err(|e| e.to_string())?;
    fields.push(Object::Reference(widget));
    let mut form = Dictionary::new();
    form.set("Fields", fields);
    form.set("SigFlags", 3);
    catalog.set("AcroForm", form);
    let mut signed = Vec::new();
    update
        .save_to(&mut signed)
        .map_err(|e| format!("无法写出签名的 PDF：{e}"))?;
    finish(&mut signed, pdf.len(), key, placement.tsa.as_ref())?;
    Ok(signed)
}

/// The signature fields a PDF already has: none for a circular as typst-pdf writes it, the earlier
/// offices' for a joint circular signed before. A PDF with any other form is refused.
fn signature_fields(document: &lopdf::Document, root: lopdf::ObjectId) -> Result<Vec<Object>, String> {
    let catalog = document.get_dictionary(root).map_err(|e| e.to_string())?;
    let Ok(form) = catalog.get(b"AcroForm") else {
        return Ok(Vec::new());
    };
    let refused = || "这份 PDF 已有表单，不能再签名".to_string();
    let fields = form
        .as_dict()
        .and_then(|f| f.get(b"Fields"))
        .and_then(Object::as_array)
        .map_err(|_| refused())?;
    let signatures = fields.iter().all(|f| {
        f.as_reference()
            .and_then(|r| document.get_dictionary(r))
            .and_then(|d| d.get(b"FT"))
            .and_then(Object::as_name)
            .is_ok_and(|n| n == b"Sig")
    });
    if signatures { Ok(fields.clone()) } else { Err(refused()) }
}

/// The signature dictionary, its byte range and value reserved (filled in by [`finish`]).
fn signature_dictionary(update: &mut lopdf::IncrementalDocument, time: &str) -> lopdf::ObjectId {
    let placeholder = i64::from(u32::MAX);
    let mut signature = Dictionary::new();
    signature.set("Type", Object::Name(b"Sig".to_vec()));
    signature.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    signature.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    signature.set(
        "ByteRange",
        vec![
            Object::Integer(0),
            placeholder.into(),
            placeholder.into(),
            placeholder.into(),
        ],
    );
    signature.set("Contents", Object::String(vec![0; RESERVED], StringFormat::Hexadecimal));
    signature.set("M", Object::string_literal(time));
    update.new_document.add_object(signature)
}

/// The signature field on `page` at `rect`. Its appearance is transparent: what shows at the
/// field is the seal the page prints under it, so the signature's place is the seal's and the
/// page looks as it was laid out.
fn field(
    update: &mut lopdf::IncrementalDocument,
    signature: lopdf::ObjectId,
    page: lopdf::ObjectId,
    rect: [f32; 4],
    name: &str,
) -> lopdf::ObjectId {
    let mut form = Dictionary::new();
    form.set("Type", Object::Name(b"XObject".to_vec()));
    form.set("Subtype", Object::Name(b"Form".to_vec()));
    let (width, height) = (rect[2] - rect[0], rect[3] - rect[1]);
    form.set(
        "BBox",
        vec![0.into(), 0.into(), Object::Real(width), Object::Real(height)],
    );
    let appearance = update.new_document.add_object(lopdf::Stream::new(form, Vec::new()));
    let mut ap = Dictionary::new();
    ap.set("N", appearance);
    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set("T", text_string(name));
    widget.set("V", signature);
    widget.set("F", 132);
    widget.set("P", page);
    widget.set("Rect", rect.iter().map(|v| Object::Real(*v)).collect::<Vec<_>>());
    widget.set("AP", ap);
    update.new_document.add_object(widget)
}

/// A PDF text string (UTF-16BE with its byte order mark), for names a reader shows.
fn text_string(text: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// Fills in `/ByteRange` and `/Contents` of the signature appended after `from`.
fn finish(signed: &mut [u8], from: usize, key: &Key, tsa: Option<&url::Url>) -> Result<(), String> {
    let tail = &signed[from..];
    let find = |needle: &[u8]| tail.windows(needle.len()).position(|w| w == needle).map(|at| from + at);
    let contents = find(b"/Contents<").ok_or("签名占位没有写出")? + b"/Contents".len();
    let end = contents + 2 * RESERVED + 2;
    let range_at = find(b"/ByteRange[").ok_or("签名占位没有写出")? + b"/ByteRange".len();
    let range_end = range_at
        + signed[range_at..]
            .iter()
            .position(|b| *b == b']')
            .ok_or("签名占位损坏")?
        + 1;
    let range = format!("[0 {contents} {end} {}]", signed.len() - end);
    let width = range_end - range_at;
    if range.len() > width {
        return Err("签名占位不够".into());
    }
    signed[range_at..range_end].copy_from_slice(format!("{range:<width$}").as_bytes());
    let mut hasher = Sha256::new();
    hasher.update(&signed[..contents]);
    hasher.update(&signed[end..]);
    let digest = hasher.finalize();
    let cms = cms_signature(&digest, key, tsa)?;
    if cms.len() > RESERVED {
        return Err("签名太长，超出预留的位置".into());
    }
    let hex: String = cms.iter().map(|b| format!("{b:02X}")).collect();
    signed[contents + 1..contents + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(())
}

/// A detached CMS SignedData over `digest` (SHA-256), PAdES B-B's attributes, and B-T's timestamp
/// from `tsa` when there is one.
fn cms_signature(digest: &[u8], key: &Key, tsa: Option<&url::Url>) -> Result<Vec<u8>, String> {
    use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
    use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
    use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};
    let failed = |e: &dyn std::fmt::Display| format!("无法生成签名：{e}");
    let signer = &key.chain[0];
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: signer.tbs_certificate().issuer().clone(),
        serial_number: signer.tbs_certificate().serial_number().clone(),
    });
    let sha256 = spki::AlgorithmIdentifierOwned {
        oid: const_oid::db::rfc5912::ID_SHA_256,
        parameters: None,
    };
    let content = EncapsulatedContentInfo {
        econtent_type: const_oid::db::rfc5911::ID_DATA,
        econtent: None,
    };
    let mut info = SignerInfoBuilder::new(sid, sha256.clone(), &content, Some(digest)).map_err(|e| failed(&e))?;
    let certificate = signer.to_der().map_err(|e| failed(&e))?;
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(Sha256::digest(&certificate).to_vec()).map_err(|e| failed(&e))?,
        }],
    };
    let value = der::Any::from_der(&ess.to_der().map_err(|e| failed(&e))?).map_err(|e| failed(&e))?;
    let attribute = x509_cert::attr::Attribute {
        oid: const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47"),
        values: SetOfVec::try_from(vec![value]).map_err(|e| failed(&e))?,
    };
    info.add_signed_attribute(attribute).map_err(|e| failed(&e))?;
    let mut data = SignedDataBuilder::new(&content);
    data.add_digest_algorithm(sha256).map_err(|e| failed(&e))?;
    for c in &key.chain {
        data.add_certificate(CertificateChoices::Certificate(c.clone()))
            .map_err(|e| failed(&e))?;
    }
    match &key.key {
        Kind::Rsa(k) => data.add_signer_info::<_, rsa::pkcs1v15::Signature>(info, k),
        Kind::Ecdsa(k) => data.add_signer_info::<_, p256::ecdsa::DerSignature>(info, k),
        Kind::TokenRsa(k) => data.add_signer_info::<_, rsa::pkcs1v15::Signature>(info, k),
        Kind::TokenEcdsa(k) => data.add_signer_info::<_, p256::ecdsa::DerSignature>(info, k),
    }
    .map_err(|e| failed(&e))?;
    let mut built = data.build().map_err(|e| failed(&e))?;
    if let Some(url) = tsa {
        let mut signed: cms::signed_data::SignedData = built.content.decode_as().map_err(|e| failed(&e))?;
        let mut infos = signed.signer_infos.0.into_vec();
        let info = infos.first_mut().ok_or("签名中没有签名者")?;
        let token = timestamp::token(url, info.signature.as_bytes())?;
        let attribute = x509_cert::attr::Attribute {
            oid: timestamp::TOKEN,
            values: SetOfVec::try_from(vec![token]).map_err(|e| failed(&e))?,
        };
        info.unsigned_attrs = Some(SetOfVec::try_from(vec![attribute]).map_err(|e| failed(&e))?);
        signed.signer_infos = cms::signed_data::SignerInfos(SetOfVec::try_from(infos).map_err(|e| failed(&e))?);
        built.content = der::Any::encode_from(&signed).map_err(|e| failed(&e))?;
    }
    built.to_der().map_err(|e| failed(&e))
}

/// The time of signing as a PDF date (`D:20230505093000+08'00'`), in local time.
pub(crate) fn pdf_time_now() -> String {
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let offset = now.offset();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{sign}{:02}'{:02}'",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        offset.whole_hours().unsigned_abs(),
        offset.minutes_past_hour().unsigned_abs()
    )
}

/// Whether `signed` is `original` with a signature appended that covers the whole file and is
/// intact (its digest is the file's): what `issue` makes of an issued PDF with `--sign`.
pub(crate) fn signed_copy_of(signed: &[u8], original: &[u8]) -> bool {
    signed.len() > original.len() && signed.starts_with(original) && all_intact(signed).iter().all(Result::is_ok)
}

/// Checks every signature of a signed PDF, in the order they were made: each over the file as it
/// was when it signed (the revision its byte range ends with), the last over the whole file.
pub(crate) fn all_intact(signed: &[u8]) -> Vec<Result<Signed, String>> {
    let starts: Vec<usize> = signed
        .windows(11)
        .enumerate()
        .filter(|(_, w)| *w == b"/ByteRange[")
        .map(|(i, _)| i)
        .collect();
    let last = starts.len().saturating_sub(1);
    starts
        .iter()
        .enumerate()
        .map(|(n, at)| {
            let end = if n == last {
                signed.len()
            } else {
                revision_end(&signed[*at..])
                    .filter(|e| *e <= signed.len())
                    .ok_or("签名的范围已损坏")?
            };
            intact(&signed[..end])
        })
        .collect()
}

/// Where the revision a byte range covers ends (`b + c` of `/ByteRange[0 a b c]`).
fn revision_end(range: &[u8]) -> Option<usize> {
    let close = range.iter().position(|b| *b == b']')?;
    let numbers: Vec<usize> = std::str::from_utf8(range.get(11..close)?)
        .ok()?
        .split_whitespace()
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    match numbers[..] {
        [0, _, b, c] => b.checked_add(c),
        _ => None,
    }
}

/// What a signature says once checked: who signed, and the certificates it carries.
pub(crate) struct Signed {
    pub subject: String,
    pub signer: Certificate,
    /// The certificates the signature carries.
    pub certificates: Vec<Certificate>,
    /// The time its timestamp states (PAdES B-T), or why the timestamp fails; `None`: none.
    pub timestamp: Option<Result<String, String>>,
}

/// Checks the last signature of a signed PDF: it covers the whole file but its own value, the
/// digest it signed is the file's, and the signature value is the signer certificate's key's over
/// the signed attributes (RSA PKCS #1 v1.5 or ECDSA P-256, with SHA-256).
pub(crate) fn intact(signed: &[u8]) -> Result<Signed, String> {
    let at = signed
        .windows(11)
        .rposition(|w| w == b"/ByteRange[")
        .ok_or("没有签名")?;
    let close = signed[at..].iter().position(|b| *b == b']').ok_or("签名的范围已损坏")? + at;
    let numbers: Vec<usize> = std::str::from_utf8(&signed[at + 11..close])
        .map_err(|_| "签名的范围已损坏")?
        .split_whitespace()
        .map(|n| n.parse().map_err(|_| "签名的范围已损坏"))
        .collect::<Result<_, _>>()?;
    let [0, a, b, c] = numbers[..] else {
        return Err("签名的范围已损坏".into());
    };
    if b < a + 2
        || b.checked_add(c) != Some(signed.len())
        || signed.get(a) != Some(&b'<')
        || signed.get(b - 1) != Some(&b'>')
    {
        return Err("签名没有覆盖整个文件：签名之后又有改动".into());
    }
    let hex = &signed[a + 1..b - 1];
    let bytes: Vec<u8> = hex
        .chunks(2)
        .map(|p| std::str::from_utf8(p).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<_>>()
        .ok_or("签名值已损坏")?;
    let info = cms::content_info::ContentInfo::from_der(&bytes[..der_length(&bytes)?]).map_err(|_| "签名值已损坏")?;
    let data = info
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(|_| "签名值已损坏")?;
    let mut hasher = Sha256::new();
    hasher.update(&signed[..a]);
    hasher.update(&signed[b..]);
    let digest = hasher.finalize();
    let own = signer_of(&data, &digest)?;
    let signer = data.signer_infos.0.get(0).ok_or("签名中没有签名者")?;
    let timestamp = signer
        .unsigned_attrs
        .as_ref()
        .and_then(|attrs| attrs.iter().find(|a| a.oid == timestamp::TOKEN))
        .and_then(|a| a.values.get(0))
        .map(|token| timestamp::stamped(token, signer.signature.as_bytes()));
    Ok(Signed {
        subject: own.tbs_certificate().subject().to_string(),
        signer: own,
        certificates: carried(&data),
        timestamp,
    })
}

/// The certificates a CMS signature carries.
fn carried(data: &cms::signed_data::SignedData) -> Vec<Certificate> {
    data.certificates
        .as_ref()
        .map(|certs| {
            certs
                .0
                .iter()
                .filter_map(|c| match c {
                    cms::cert::CertificateChoices::Certificate(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The certificate of a CMS signature's (first) signer, once checked: the SHA-256 digest it
/// signed is `digest`, and its signature over the signed attributes verifies with the
/// certificate's key.
fn signer_of(data: &cms::signed_data::SignedData, digest: &[u8]) -> Result<Certificate, String> {
    let signer = data.signer_infos.0.get(0).ok_or("签名中没有签名者")?;
    if signer.digest_alg.oid != const_oid::db::rfc5912::ID_SHA_256 {
        return Err("签名的摘要算法不是 SHA-256".into());
    }
    let stated = signer
        .signed_attrs
        .as_ref()
        .and_then(|attrs| {
            attrs
                .iter()
                .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        })
        .and_then(|a| a.values.get(0))
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or("签名中没有文件摘要")?;
    if stated.as_bytes() != digest {
        return Err("文件在签名之后被改动过（摘要不符）".into());
    }
    // The signer's certificate: the one the signer info names by issuer and serial number.
    let cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(named) = &signer.sid else {
        return Err("签名者的证书未按颁发者和序列号标明".into());
    };
    let own = carried(data)
        .into_iter()
        .find(|c| {
            c.tbs_certificate().serial_number() == &named.serial_number && c.tbs_certificate().issuer() == &named.issuer
        })
        .ok_or("签名中没有签名者的证书")?;
    let attributes = signer.signed_attrs.as_ref().ok_or("签名中没有签名属性")?;
    let message = attributes.to_der().map_err(|_| "签名值已损坏")?;
    if !verifies(&own, &message, signer.signature.as_bytes()) {
        return Err("签名值与签名者的证书不符（签名被伪造或损坏）".into());
    }
    Ok(own)
}

/// Whether `signature` over `message` is made with the key of `certificate` (RSA PKCS #1 v1.5 or
/// ECDSA P-256 with SHA-256, or SM2 with SM3).
fn verifies(certificate: &Certificate, message: &[u8], signature: &[u8]) -> bool {
    use rsa::signature::Verifier as _;
    let Ok(spki) = certificate.tbs_certificate().subject_public_key_info().to_der() else {
        return false;
    };
    if let Ok(key) = <rsa::PublicKey as rsa::pkcs8::DecodePublicKey>::from_public_key_der(&spki) {
        let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key);
        return rsa::pkcs1v15::Signature::try_from(signature).is_ok_and(|s| key.verify(message, &s).is_ok());
    }
    if let Ok(key) = <p256::ecdsa::VerifyingKey as p256::pkcs8::DecodePublicKey>::from_public_key_der(&spki) {
        return p256::ecdsa::Signature::from_der(signature).is_ok_and(|s| key.verify(message, &s).is_ok());
    }
    ofd::sm2_verifies(certificate, message, signature)
}

/// Whether the signer's certificate chains, through the certificates the signature carries
/// (`carried`), to
/// one of `anchors` (each link's signature checked, each certificate within its validity at
/// `now`). The anchor's subject when so.
pub(crate) fn chains_to(
    signer: &Certificate,
    carried: &[Certificate],
    anchors: &[Certificate],
) -> Result<String, String> {
    let now = std::time::SystemTime::now();
    let mut current = signer.clone();
    for _ in 0..8 {
        let validity = current.tbs_certificate().validity();
        if now > validity.not_after.to_system_time() || now < validity.not_before.to_system_time() {
            return Err(format!("证书“{}”不在有效期内", current.tbs_certificate().subject()));
        }
        let tbs = current.tbs_certificate().to_der().map_err(|_| "证书已损坏")?;
        let signature = current.signature().raw_bytes();
        let issuer = current.tbs_certificate().issuer();
        if let Some(anchor) = anchors
            .iter()
            .find(|a| a.tbs_certificate().subject() == issuer && verifies(a, &tbs, signature))
        {
            return Ok(anchor.tbs_certificate().subject().to_string());
        }
        if anchors.contains(&current) {
            return Ok(current.tbs_certificate().subject().to_string());
        }
        match carried
            .iter()
            .find(|c| c.tbs_certificate().subject() == issuer && *c != &current && verifies(c, &tbs, signature))
        {
            Some(up) => current = up.clone(),
            None => break,
        }
    }
    Err("签名者的证书不能追溯到 tongbao.yaml 中“信任的证书”的任何一张".into())
}

/// Certificates from PEM text (the trust list's files).
pub(crate) fn certificates(pem: &[u8]) -> Vec<Certificate> {
    let Ok(text) = std::str::from_utf8(pem) else {
        return Vec::new();
    };
    text.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .filter_map(|block| {
            let body = block.split("-----END CERTIFICATE-----").next()?;
            let whole = format!("-----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE-----");
            let (_, der) = pem_rfc7468::decode_vec(whole.trim().as_bytes()).ok()?;
            Certificate::from_der(&der).ok()
        })
        .collect()
}

/// The length of the DER value at the start of `bytes` (the rest of `/Contents` is padding).
fn der_length(bytes: &[u8]) -> Result<usize, String> {
    let mut reader = der::SliceReader::new(bytes).map_err(|_| "签名值已损坏")?;
    let header = <der::Header as der::Decode>::decode(&mut reader).map_err(|_| "签名值已损坏")?;
    let head = header.encoded_len().map_err(|_| "签名值已损坏")?;
    let total = (head + header.length()).map_err(|_| "签名值已损坏")?;
    let total = usize::try_from(total).map_err(|_| "签名值已损坏")?;
    (total <= bytes.len())
        .then_some(total)
        .ok_or_else(|| "签名值已损坏".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(crate::limits::fuzz_config(8))]

        /// A hostile "signed" file (any byte range, any contents) is refused with a reason, never a
        /// panic.
        #[test]
        fn any_byte_range_is_refused_or_checked(
            a in 0usize..64, b in 0usize..64, c in 0usize..64,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..96),
        ) {
            let mut file = format!("/ByteRange[0 {a} {b} {c}]").into_bytes();
            file.extend(body);
            let _ = intact(&file);
            let _ = signed_copy_of(&file, b"%PDF");
        }
    }
}
