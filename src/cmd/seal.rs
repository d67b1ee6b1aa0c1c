//! `tongbao seal`: makes an electronic seal (`.esl`, GB/T 38540 V4) from a picture, a name, the
//! holders' certificates and the seal maker's SM2 key. The maker's key is read from outside the
//! project (like a signing key); the picture is read and the seal written inside it.

use super::{Error, Result, Status};
use crate::args::SealArgs;
use crate::project::Project;

pub(crate) fn run(project: &Project, args: &SealArgs) -> Result {
    let shown = |p: &std::path::Path| crate::diag::shorten_path(p, 80);
    let inside = |p: &std::path::Path| -> Result<std::path::PathBuf> {
        let rel = p.strip_prefix(project.root()).unwrap_or(p);
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return Err(Error::Usage(format!(
                "{} 须是项目中的路径（如 assets/印章.esl）",
                shown(p)
            )));
        }
        Ok(rel.to_path_buf())
    };
    let picture = project
        .read(&inside(&args.picture)?)
        .map_err(|e| Error::Usage(format!("无法读取印章图片 {}：{}", shown(&args.picture), e.reason())))?;
    let maker_pem = super::issue::secret_file(project, &args.maker)?;
    let (maker_key, makers) = crate::sign::sm2_pem(&maker_pem, &super::issue::password(0))
        .map_err(|why| Error::Usage(format!("制章者的密钥 {}：{why}", shown(&args.maker))))?;
    let maker = makers
        .first()
        .ok_or_else(|| Error::Usage(format!("{} 中没有制章者的证书", shown(&args.maker))))?;
    // The holders' certificates are public: read wherever they are, as a certificate is sized.
    let holders = crate::limits::read_bounded(&args.holder, 1 << 20)
        .map(|pem| crate::sign::certificates(&pem))
        .map_err(|e| Error::Usage(format!("无法读取 {}：{}", shown(&args.holder), e.reason(1 << 20))))?;
    if holders.is_empty() {
        return Err(Error::Usage(format!("{} 中没有证书", shown(&args.holder))));
    }
    let request = crate::sign::seal::Request {
        name: &args.name,
        picture: &picture,
        diameter_mm: args.diameter,
        holders: &holders,
        days: args.days,
        maker,
        maker_key: &maker_key,
    };
    let esl = crate::sign::seal::make(&request).map_err(Error::Usage)?;
    let out = inside(&args.out)?;
    project
        .write(&out, &esl)
        .map_err(|e| Error::Usage(format!("无法写出 {}：{e}", shown(&args.out))))?;
    say!(
        "已生成电子印章 {}（{}，{} 毫米，{} 天内有效）",
        out.display(),
        args.name,
        args.diameter,
        args.days
    );
    Ok(Status::Clean)
}
