//! Keys on a token (PKCS#11: a UKey with a PKCS#11 module, SoftHSM in the tests): the private key
//! never leaves the token, which signs what CMS asks (RSA PKCS #1 v1.5 with SHA-256, or ECDSA
//! P-256 over the SHA-256 digest, whose raw `r‖s` becomes DER here).
//!
//! `--sign pkcs11:LABEL`: the token labelled LABEL in the module `TONGBAO_PKCS11_MODULE` names
//! (or the usual places of SoftHSM and OpenSC); its PIN is the key's password. The signer's
//! certificate is the one stored with the key (the same `CKA_ID`).

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use der::Decode as _;
use sha2_11::{Digest as _, Sha256};
use x509_cert::Certificate;

/// Where PKCS#11 modules usually are, when `TONGBAO_PKCS11_MODULE` names none.
const MODULES: [&str; 3] = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
];

/// A key on a token, with its session open and logged in.
pub(super) struct TokenKey {
    session: Session,
    key: ObjectHandle,
    /// The signer's certificate, read from the token.
    pub certificate: Certificate,
    _context: Pkcs11,
}

impl TokenKey {
    /// Opens token `label` with `pin` and finds its private key and certificate.
    pub(super) fn open(label: &str, pin: &str) -> Result<TokenKey, String> {
        let module = std::env::var("TONGBAO_PKCS11_MODULE")
            .ok()
            .or_else(|| {
                MODULES
                    .iter()
                    .find(|m| std::path::Path::new(m).exists())
                    .map(|m| m.to_string())
            })
            .ok_or("找不到 PKCS#11 模块：请用环境变量 TONGBAO_PKCS11_MODULE 写明 UKey 驱动（.so/.dll）的路径")?;
        let context = Pkcs11::new(&module).map_err(|e| format!("无法加载 PKCS#11 模块 {module}：{e}"))?;
        context
            .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|e| format!("PKCS#11 模块无法初始化：{e}"))?;
        let slots = context.get_slots_with_token().map_err(|e| e.to_string())?;
        let slot = slots
            .into_iter()
            .find(|s| context.get_token_info(*s).is_ok_and(|t| t.label().trim() == label))
            .ok_or_else(|| format!("没有标签为“{label}”的 UKey（令牌）：请插入 UKey，或核对标签"))?;
        let session = context.open_ro_session(slot).map_err(|e| e.to_string())?;
        session
            .login(UserType::User, Some(&AuthPin::new(pin.into())))
            .map_err(|_| "UKey 的 PIN 不对（环境变量 TONGBAO_KEY_PASSWORD 或终端上输入的）".to_string())?;
        let key = *session
            .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])
            .map_err(|e| e.to_string())?
            .first()
            .ok_or("UKey 中没有私钥")?;
        let id = session
            .get_attributes(key, &[AttributeType::Id])
            .map_err(|e| e.to_string())?
            .into_iter()
            .find_map(|a| match a {
                Attribute::Id(id) => Some(id),
                _ => None,
            })
            .unwrap_or_default();
        let cert = *session
            .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE), Attribute::Id(id)])
            .map_err(|e| e.to_string())?
            .first()
            .ok_or("UKey 中没有与私钥对应的证书")?;
        let der = session
            .get_attributes(cert, &[AttributeType::Value])
            .map_err(|e| e.to_string())?
            .into_iter()
            .find_map(|a| match a {
                Attribute::Value(v) => Some(v),
                _ => None,
            })
            .ok_or("UKey 中的证书读不出来")?;
        let certificate = Certificate::from_der(&der).map_err(|_| "UKey 中的证书已损坏".to_string())?;
        Ok(TokenKey {
            session,
            key,
            certificate,
            _context: context,
        })
    }

    /// Signs `message` with the token's RSA key (PKCS #1 v1.5, SHA-256).
    pub(super) fn sign_rsa(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.session
            .sign(&Mechanism::Sha256RsaPkcs, self.key, message)
            .map_err(|e| format!("UKey 签名失败：{e}"))
    }

    /// Signs `message`'s SHA-256 with the token's EC key, as DER.
    pub(super) fn sign_ecdsa(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let digest = Sha256::digest(message);
        let raw = self
            .session
            .sign(&Mechanism::Ecdsa, self.key, &digest)
            .map_err(|e| format!("UKey 签名失败：{e}"))?;
        let signature =
            p256::ecdsa::Signature::from_slice(&raw).map_err(|_| "UKey 返回的签名不是 P-256 签名".to_string())?;
        Ok(signature.to_der().as_bytes().to_vec())
    }
}
