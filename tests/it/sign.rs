//! `tongbao issue MONTH --sign KEY`: the issued PDF signed (PAdES B-B), checked by programs no
//! one here wrote: poppler's `pdfsig` (valid, whole file), pyHanko (intact, trusted through the
//! test CA, untouched), OpenSSL (the ESS signing-certificate-v2 attribute, which pdfsig does not
//! check). The certificates are made here with OpenSSL: a CA, an
//! RSA office certificate in a PKCS#12 file as OpenSSL 3 writes it (AES, PBKDF2), an ECDSA P-256
//! one in PEM with an encrypted key, and an expired one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::git::git;
use crate::util::{Project, output};

pub(crate) const PASSWORD: &str = "秘密 123";

pub(crate) fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and the office's keys, in a folder outside any project.
pub(crate) struct Keys {
    pub(crate) dir: tempfile::TempDir,
}

impl Keys {
    pub(crate) fn make() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("ext.cnf"),
            "[s]\nkeyUsage=critical,digitalSignature,nonRepudiation\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=测试根证书",
                "-utf8",
                "-days",
                "30",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
            ],
        );
        let issue = |name: &str, new_key: &[&str], days: &str| {
            let mut req = vec!["req", "-new", "-nodes", "-keyout"];
            let key = format!("{name}.key");
            let csr = format!("{name}.csr");
            req.extend([
                key.as_str(),
                "-out",
                csr.as_str(),
                "-subj",
                "/CN=西宁市城中区人民政府办公室",
                "-utf8",
            ]);
            req.extend(new_key);
            openssl(d, &req);
            let pem = format!("{name}.pem");
            openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    &pem,
                    "-days",
                    days,
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    "s",
                ],
            );
        };
        issue("rsa", &["-newkey", "rsa:2048"], "30");
        openssl(
            d,
            &[
                "pkcs12",
                "-export",
                "-inkey",
                "rsa.key",
                "-in",
                "rsa.pem",
                "-certfile",
                "ca.pem",
                "-out",
                "rsa.p12",
                "-passout",
                &format!("pass:{PASSWORD}"),
            ],
        );
        issue("ec", &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "30");
        openssl(
            d,
            &[
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-256-cbc",
                "-in",
                "ec.key",
                "-out",
                "ec.enc.key",
                "-passout",
                &format!("pass:{PASSWORD}"),
            ],
        );
        let pem = [
            std::fs::read_to_string(d.join("ec.enc.key")).unwrap(),
            std::fs::read_to_string(d.join("ca.pem")).unwrap(),
            std::fs::read_to_string(d.join("ec.pem")).unwrap(),
        ];
        std::fs::write(d.join("ec-chain.pem"), pem.concat()).unwrap();
        // Expired: valid for no time at all (OpenSSL 3.0 has no -not_after), and a second has passed
        // before it is used.
        openssl(
            d,
            &[
                "req",
                "-new",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "old.key",
                "-out",
                "old.csr",
                "-subj",
                "/CN=过期的证书",
                "-utf8",
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "old.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "old.pem",
                "-days",
                "0",
            ],
        );
        openssl(
            d,
            &[
                "pkcs12",
                "-export",
                "-inkey",
                "old.key",
                "-in",
                "old.pem",
                "-out",
                "old.p12",
                "-passout",
                &format!("pass:{PASSWORD}"),
            ],
        );
        std::thread::sleep(std::time::Duration::from_millis(1100));
        Keys { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// March alone in a git repository, trusting the test CA for `verify` (`信任的证书`).
fn project(keys: &Keys) -> Project {
    committed(keys, Project::march_only())
}

/// `p` trusting the test CA for `verify` and committed, as it is, to a new git repository.
fn committed(keys: &Keys, p: Project) -> Project {
    std::fs::create_dir_all(p.path("certs")).unwrap();
    std::fs::copy(keys.path("ca.pem"), p.path("certs/ca.pem")).unwrap();
    p.write("tongbao.yaml", "信任的证书: [certs/ca.pem]\n");
    git(p.root(), &["init", "-q"]);
    git(p.root(), &["add", "-A"]);
    git(p.root(), &["commit", "-q", "-m", "三月数据"]);
    p
}

fn issue_signed(p: &Project, key: &Path, password: &str) -> Output {
    issue(p, &[], key.as_os_str(), &[("TONGBAO_KEY_PASSWORD", password.as_ref())])
}

/// `tongbao issue 2023-03 ARGS --sign KEY` in the project, with `env` set.
fn issue(p: &Project, args: &[&str], key: &std::ffi::OsStr, env: &[(&str, &std::ffi::OsStr)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tongbao"))
        .args(["issue", "2023-03"])
        .args(args)
        .arg("--sign")
        .arg(key)
        .arg("--root")
        .arg(p.root())
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// pyHanko's verdict on each signature field (`NAME:HASH:INTACT:TRUSTED,UNTOUCHED`), trusting only
/// the test CA, and whether it judged the file valid.
pub(crate) fn pyhanko(file: &Path, ca: &Path) -> (bool, String) {
    let exe = std::env::var("TONGBAO_PYHANKO").expect("TONGBAO_PYHANKO: scripts/test installs pyhanko-cli");
    let out = Command::new(exe)
        .args(["sign", "validate", "--trust"])
        .arg(ca)
        .arg("--trust-replace")
        .arg(file)
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .expect("pyhanko");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string())
}

pub(crate) fn pdfsig(file: &Path) -> String {
    let out = Command::new("pdfsig")
        .arg(file)
        .output()
        .expect("pdfsig (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The CMS signature in the last `/Contents<…>` of a signed PDF, as OpenSSL prints it.
fn cms_printed(pdf: &[u8], dir: &Path) -> String {
    let at = pdf.windows(10).rposition(|w| w == b"/Contents<").unwrap() + 10;
    let end = at + pdf[at..].iter().position(|b| *b == b'>').unwrap();
    let hex = std::str::from_utf8(&pdf[at..end]).unwrap();
    let mut der: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    // The value is padded with zeros to the space reserved: cut it at the DER's own length (a
    // signature may end in a zero byte).
    let (head, len) = match der[1] {
        n if n < 0x80 => (2, n as usize),
        n => {
            let k = (n & 0x7f) as usize;
            (2 + k, der[2..2 + k].iter().fold(0usize, |a, b| a << 8 | *b as usize))
        }
    };
    der.truncate(head + len);
    std::fs::write(dir.join("sig.der"), der).unwrap();
    let out = Command::new("openssl")
        .args(["cms", "-cmsout", "-print", "-inform", "DER", "-in", "sig.der"])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn issued_circulars_are_signed_as_pades_and_stay_frozen() {
    let keys = Keys::make();
    for (key, algorithm) in [("rsa.p12", "rsaEncryption"), ("ec-chain.pem", "ecdsa-with-SHA256")] {
        let p = project(&keys);
        let out = issue_signed(&p, &keys.path(key), PASSWORD);
        assert!(out.status.success(), "{key}: {}", output(&out));
        assert!(
            output(&out).contains("已签名（PAdES）：签名者 CN=西宁市城中区人民政府办公室"),
            "{}",
            output(&out)
        );
        let issued = p.path("data/2023-03/issued.pdf");
        let report = pdfsig(&issued);
        for line in [
            "Signature Type: ETSI.CAdES.detached",
            "Signer Certificate Common Name: 西宁市城中区人民政府办公室",
            "Total document signed",
            "Signature Validation: Signature is Valid.",
            "Signing Hash Algorithm: SHA-256",
        ] {
            assert!(report.contains(line), "{key}: {line}\n{report}");
        }
        let (valid, verdict) = pyhanko(&issued, &keys.path("ca.pem"));
        assert!(
            valid && verdict.trim_end().ends_with(":INTACT:TRUSTED,UNTOUCHED"),
            "{key}: {verdict}"
        );
        assert!(verdict.starts_with("单位签名:"), "{verdict}");
        let bytes = std::fs::read(&issued).unwrap();
        let cms = cms_printed(&bytes, keys.dir.path());
        assert!(cms.contains("signingCertificateV2"), "{key}: {cms}");
        assert!(cms.contains(algorithm), "{key}: {cms}");
        assert!(
            !cms.contains("signingTime"),
            "PAdES has no signing-time attribute: {cms}"
        );
        // The record covers the signed file; check and build keep it frozen and unchanged.
        git(p.root(), &["add", "-A"]);
        git(p.root(), &["commit", "-q", "-m", "发布"]);
        let out = p.run(&["check", "2023-03"]);
        assert!(out.status.success(), "{key}: {}", output(&out));
        let out = p.run(&["build", "2023-03"]);
        assert!(output(&out).contains("已发布，未改变"), "{}", output(&out));
        assert_eq!(std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap(), bytes);
        let out = p.run(&["verify", issued.to_str().unwrap()]);
        let said = output(&out);
        assert!(out.status.success(), "{said}");
        assert!(
            said.contains("签名：完好，覆盖整个文件；签名者 CN=西宁市城中区人民政府办公室"),
            "{said}"
        );
        assert!(said.contains("与该文件签名前的内容逐字节相同"), "{said}");
        assert!(said.contains("证书：可追溯到信任的证书 CN=测试根证书"), "{said}");
        // Trusting another CA only: the signature is intact, its certificate not trusted.
        let other = Keys::make();
        std::fs::copy(other.path("ca.pem"), p.path("certs/ca.pem")).unwrap();
        let out = p.run(&["verify", issued.to_str().unwrap()]);
        assert!(!out.status.success(), "{}", output(&out));
        assert!(output(&out).contains("不能追溯到"), "{}", output(&out));
        std::fs::copy(keys.path("ca.pem"), p.path("certs/ca.pem")).unwrap();
        // One byte altered after signing: pdfsig and tongbao both refuse it.
        let mut altered = bytes.clone();
        let at = altered.windows(6).position(|w| w == b"/Title").unwrap() + 8;
        altered[at] ^= 1;
        std::fs::write(&issued, &altered).unwrap();
        assert!(pdfsig(&issued).contains("Digest Mismatch"), "{}", pdfsig(&issued));
        let (valid, verdict) = pyhanko(&issued, &keys.path("ca.pem"));
        assert!(!valid && verdict.contains("INVALID"), "{verdict}");
        let out = p.run(&["check", "2023-03"]);
        assert!(
            !out.status.success() && output(&out).contains("issued-pdf"),
            "{}",
            output(&out)
        );
        let out = p.run(&["verify", issued.to_str().unwrap()]);
        assert!(
            output(&out).contains("签名：无效：文件在签名之后被改动过"),
            "{}",
            output(&out)
        );
        // A revision is signed as the first edition was.
        std::fs::write(&issued, &bytes).unwrap();
        crate::util::replace_in(&p.path("data/2023-03/12345.yaml"), "本月: 71,", "本月: 72,");
        crate::util::replace_in(
            &p.path("data/2023-03/12345.yaml"),
            "合计: {本月: 1164,",
            "合计: {本月: 1165,",
        );
        let revise = ["--revise", "总寨镇热线数更正"];
        let out = issue(
            &p,
            &revise,
            keys.path(key).as_os_str(),
            &[("TONGBAO_KEY_PASSWORD", PASSWORD.as_ref())],
        );
        assert!(
            out.status.success() && output(&out).contains("已修订（第 2 版）"),
            "{}",
            output(&out)
        );
        assert!(pdfsig(&issued).contains("Signature is Valid."), "{}", pdfsig(&issued));
        git(p.root(), &["add", "-A"]);
        git(p.root(), &["commit", "-q", "-m", "更正"]);
        let out = p.run(&["check", "2023-03"]);
        assert!(out.status.success(), "{key}: {}", output(&out));
    }
}

/// A sealed circular: the signature field lies over the seal the page prints (42 mm, on the
/// signature page), and the signature is as valid as an invisible one.
#[test]
fn the_signature_field_of_a_sealed_circular_is_its_seal() {
    const SEAL: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="420" height="420" viewBox="0 0 420 420">
<circle cx="210" cy="210" r="200" fill="none" stroke="#e60012" stroke-width="14"/></svg>"##;
    let keys = Keys::make();
    let p = Project::march_only();
    std::fs::create_dir_all(p.path("assets")).unwrap();
    p.write("assets/seal.svg", SEAL);
    let doc = p.read("data/2023-03/document.yaml");
    p.write(
        "data/2023-03/document.yaml",
        &format!("{doc}版式:\n  印章: assets/seal.svg\n"),
    );
    git(p.root(), &["init", "-q"]);
    git(p.root(), &["add", "-A"]);
    git(p.root(), &["commit", "-q", "-m", "三月数据"]);
    let out = issue_signed(&p, &keys.path("rsa.p12"), PASSWORD);
    assert!(out.status.success(), "{}", output(&out));
    let issued = p.path("data/2023-03/issued.pdf");
    assert!(pdfsig(&issued).contains("Signature is Valid."), "{}", pdfsig(&issued));
    let (valid, verdict) = pyhanko(&issued, &keys.path("ca.pem"));
    assert!(valid, "{verdict}");
    // Every page looks as the unsigned circular's (the field's appearance is transparent).
    let render = |pdf: &Path, prefix: &str| {
        let out = Command::new("pdftoppm")
            .args(["-r", "40", "-gray"])
            .arg(pdf)
            .arg(keys.dir.path().join(prefix))
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut pages: Vec<_> = std::fs::read_dir(keys.dir.path())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|f| f.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect();
        pages.sort();
        pages.iter().map(|f| std::fs::read(f).unwrap()).collect::<Vec<_>>()
    };
    let unsigned_pdf = p.path("out/2023-03/circular.pdf");
    assert_ne!(std::fs::read(&unsigned_pdf).unwrap(), std::fs::read(&issued).unwrap());
    let (signed, unsigned) = (render(&issued, "signed"), render(&unsigned_pdf, "unsigned"));
    assert!(
        signed.len() > 3 && signed == unsigned,
        "the signed circular's pages differ"
    );
    let bytes = std::fs::read(&issued).unwrap();
    // The last rectangle of the file is the widget's: the signature's update comes last.
    let at = bytes
        .windows(5)
        .rposition(|w| w == b"/Rect")
        .expect("the field has a rectangle");
    let tail = String::from_utf8_lossy(&bytes[at..]).to_string();
    let at = 0;
    let numbers: Vec<f64> = tail[at + 5..]
        .trim_start_matches([' ', '['])
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let side = 42.0 * 72.0 / 25.4;
    assert!(
        (numbers[2] - numbers[0] - side).abs() < 2.0 && (numbers[3] - numbers[1] - side).abs() < 2.0,
        "{numbers:?}"
    );
    assert!(
        numbers[0] > 0.0 && numbers[1] > 0.0 && numbers[3] < 842.0,
        "{numbers:?}"
    );
}

/// The SoftHSM module, where Debian puts it.
const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A key on a PKCS#11 token (SoftHSM standing in for an office's UKey): the key never leaves it,
/// and the signature is as valid as one made with a key file.
#[test]
fn a_key_on_a_token_signs_like_a_key_file() {
    let keys = Keys::make();
    let d = keys.dir.path();
    std::fs::create_dir(d.join("tokens")).unwrap();
    std::fs::write(
        d.join("softhsm2.conf"),
        format!("directories.tokendir = {}\n", d.join("tokens").display()),
    )
    .unwrap();
    let tool = |program: &str, args: &[&str]| {
        let out = Command::new(program)
            .args(args)
            .current_dir(d)
            .env("SOFTHSM2_CONF", d.join("softhsm2.conf"))
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e} (scripts/test installs softhsm2 and opensc)"));
        assert!(out.status.success(), "{program} {args:?}: {}", output(&out));
    };
    let conf = d.join("softhsm2.conf");
    let on_token = |p: &Project, label: &str, pin: &str| {
        let env = [
            ("SOFTHSM2_CONF", conf.as_os_str()),
            ("TONGBAO_PKCS11_MODULE", SOFTHSM.as_ref()),
            ("TONGBAO_KEY_PASSWORD", pin.as_ref()),
        ];
        issue(p, &[], format!("pkcs11:{label}").as_ref(), &env)
    };
    for (name, label) in [("rsa", "office-rsa"), ("ec", "office-ec")] {
        tool(
            "softhsm2-util",
            &[
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                "123456",
                "--so-pin",
                "12345678",
            ],
        );
        openssl(
            d,
            &[
                "pkcs8",
                "-topk8",
                "-nocrypt",
                "-in",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.p8"),
            ],
        );
        tool(
            "softhsm2-util",
            &[
                "--import",
                &format!("{name}.p8"),
                "--token",
                label,
                "--label",
                "signer",
                "--id",
                "01",
                "--pin",
                "123456",
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-in",
                &format!("{name}.pem"),
                "-outform",
                "DER",
                "-out",
                &format!("{name}.der"),
            ],
        );
        tool(
            "pkcs11-tool",
            &[
                "--module",
                SOFTHSM,
                "--token-label",
                label,
                "--login",
                "--pin",
                "123456",
                "--write-object",
                &format!("{name}.der"),
                "--type",
                "cert",
                "--id",
                "01",
            ],
        );
        let p = project(&keys);
        let out = on_token(&p, label, "123456");
        assert!(out.status.success(), "{label}: {}", output(&out));
        let issued = p.path("data/2023-03/issued.pdf");
        assert!(
            pdfsig(&issued).contains("Signature is Valid."),
            "{label}: {}",
            pdfsig(&issued)
        );
        let (valid, verdict) = pyhanko(&issued, &keys.path("ca.pem"));
        assert!(
            valid && verdict.contains(":INTACT:TRUSTED,UNTOUCHED"),
            "{label}: {verdict}"
        );
        // A wrong PIN: said, nothing issued.
        let q = project(&keys);
        let out = on_token(&q, label, "000000");
        assert!(output(&out).contains("PIN 不对"), "{}", output(&out));
        assert!(!q.path("data/2023-03/issued.pdf").exists());
    }
}

#[test]
fn keys_stay_outside_the_project_and_bad_keys_say_why() {
    let keys = Keys::make();
    let p = project(&keys);
    // A wrong password, an expired certificate, a file that is no key: nothing is issued.
    for (key, password, said) in [
        ("rsa.p12", "错的", "密码不对"),
        ("old.p12", PASSWORD, "已于"),
        ("ext.cnf", PASSWORD, "不是有效的 PKCS#12"),
    ] {
        let out = issue_signed(&p, &keys.path(key), password);
        assert_eq!(out.status.code(), Some(2), "{key}: {}", output(&out));
        assert!(output(&out).contains(said), "{key}: {}", output(&out));
        assert!(!output(&out).contains(PASSWORD), "the password is never printed");
        assert!(!p.path("data/2023-03/issued.pdf").exists());
    }
    // OpenSSL refuses the expired certificate as well.
    let out = Command::new("openssl")
        .args(["verify", "-CAfile", "ca.pem", "old.pem"])
        .current_dir(keys.dir.path())
        .output()
        .unwrap();
    assert!(
        !out.status.success() && output(&out).contains("certificate has expired"),
        "{}",
        output(&out)
    );
    // A key inside the project (it could be committed with the data) is refused.
    std::fs::copy(keys.path("rsa.p12"), p.path("单位.p12")).unwrap();
    let out = issue_signed(&p, &p.path("单位.p12"), PASSWORD);
    assert_eq!(out.status.code(), Some(2));
    assert!(output(&out).contains("在项目文件夹中"), "{}", output(&out));
    assert!(!p.path("data/2023-03/issued.pdf").exists());
}

/// The TLVs directly inside the DER value at the start of `der`: each one's whole encoding.
pub(crate) fn der_children(der: &[u8]) -> Vec<&[u8]> {
    let header = |b: &[u8]| -> (usize, usize) {
        let first = b[1] as usize;
        if first < 0x80 {
            (2, first)
        } else {
            let n = first & 0x7f;
            (2 + n, b[2..2 + n].iter().fold(0usize, |a, x| a << 8 | *x as usize))
        }
    };
    let (head, len) = header(der);
    let mut inner = &der[head..head + len];
    let mut out = Vec::new();
    while !inner.is_empty() {
        let (h, l) = header(inner);
        out.push(&inner[..h + l]);
        inner = &inner[h + l..];
    }
    out
}

/// `tongbao seal` makes a GB/T 38540 seal whose maker's SM2 signature over the seal's information
/// OpenSSL verifies (and refuses once a byte of it changes).
#[test]
fn an_electronic_seal_is_signed_by_its_maker_with_sm2() {
    // The maker's key with its certificate (maker-all.pem) and the office's certificate, as the
    // sealing tests make them.
    let keys = crate::seal::sm2_keys();
    let d = keys.path();
    let p = Project::march_only();
    std::fs::create_dir_all(p.path("assets")).unwrap();
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="420" height="420"><circle cx="210" cy="210" r="200" fill="none" stroke="#e60012" stroke-width="14"/></svg>"##;
    p.write("assets/seal.svg", svg);
    let maker_pem = d.join("maker-all.pem");
    let holder_pem = d.join("office.pem");
    let out = p.run(&[
        "seal",
        "--picture",
        "assets/seal.svg",
        "--name",
        "西宁市城中区人民政府办公室",
        "--maker",
        maker_pem.to_str().unwrap(),
        "--holder",
        holder_pem.to_str().unwrap(),
        "--out",
        "assets/seal.esl",
    ]);
    assert!(out.status.success(), "{}", output(&out));
    let esl = std::fs::read(p.path("assets/seal.esl")).unwrap();
    let parts = der_children(&esl);
    assert_eq!(parts.len(), 4, "SESeal: sealInfo, cert, signAlgID, signedValue");
    let info = parts[0];
    assert!(
        info.windows(svg.len()).any(|w| w == svg.as_bytes()),
        "the picture is in the seal"
    );
    assert!(
        info.windows(12).any(|w| w == "西宁市城".as_bytes()),
        "the name is in the seal"
    );
    assert_eq!(
        parts[2],
        [6, 8, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 1, 0x83, 0x75],
        "SM2 with SM3"
    );
    // The BIT STRING's value without its unused-bits octet is the DER signature.
    let bits = parts[3];
    let sig = &bits[if bits[1] < 0x80 {
        3
    } else {
        3 + (bits[1] & 0x7f) as usize
    }..];
    std::fs::write(d.join("info.der"), info).unwrap();
    std::fs::write(d.join("sig.der"), sig).unwrap();
    let verify = |file: &str| {
        let out = Command::new("openssl")
            .args([
                "dgst",
                "-sm3",
                "-verify",
                "maker.pub",
                "-sigopt",
                "distid:1234567812345678",
                "-signature",
                "sig.der",
                file,
            ])
            .current_dir(d)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(verify("info.der").contains("Verified OK"), "{}", verify("info.der"));
    let mut altered = info.to_vec();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    std::fs::write(d.join("altered.der"), altered).unwrap();
    assert!(
        verify("altered.der").contains("Verification failure"),
        "{}",
        verify("altered.der")
    );
    // The maker's key stays outside the project.
    std::fs::copy(&maker_pem, p.path("maker.pem")).unwrap();
    let out = p.run(&[
        "seal",
        "--picture",
        "assets/seal.svg",
        "--name",
        "某",
        "--maker",
        p.path("maker.pem").to_str().unwrap(),
        "--holder",
        holder_pem.to_str().unwrap(),
        "--out",
        "assets/seal2.esl",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", output(&out));
    assert!(output(&out).contains("私钥须放在项目之外"), "{}", output(&out));
}

/// A timestamp authority on 127.0.0.1: OpenSSL's `ts -reply` behind a minimal HTTP server (one
/// request per connection), with a certificate from the test CA for timestamping; it answers
/// for as long as the tests run. Its URL.
fn timestamp_authority(keys: &Keys) -> String {
    let d = keys.dir.path();
    std::fs::write(
        d.join("tsa-ext.cnf"),
        "[s]\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=测试时间戳服务",
            "-utf8",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tsa.pem",
            "-days",
            "30",
            "-extfile",
            "tsa-ext.cnf",
            "-extensions",
            "s",
        ],
    );
    std::fs::write(
        d.join("ts.cnf"),
        "[tsa]\ndefault_tsa = t\n[t]\nserial = ./tsaserial\nsigner_cert = ./tsa.pem\ncerts = ./ca.pem\n\
         signer_key = ./tsa.key\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.5\n\
         digests = sha256\naccuracy = secs:1\ness_cert_id_alg = sha256\n",
    )
    .unwrap();
    std::fs::write(d.join("tsaserial"), "01\n").unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = d.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            answer_timestamp_request(stream, &dir);
        }
    });
    format!("http://127.0.0.1:{port}/tsa")
}

/// Reads one HTTP request's body and answers it with OpenSSL's timestamp reply.
fn answer_timestamp_request(mut stream: std::net::TcpStream, dir: &Path) {
    use std::io::{Read as _, Write as _};
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let (head, length) = loop {
        let n = stream.read(&mut buf).unwrap_or(0);
        if n == 0 {
            return;
        }
        got.extend_from_slice(&buf[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while got.len() < head + length {
        let n = stream.read(&mut buf).unwrap_or(0);
        if n == 0 {
            return;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let query = dir.join(format!("q-{}.tsq", std::process::id()));
    std::fs::write(&query, &got[head..head + length]).unwrap();
    let reply = dir.join("r.tsr");
    let out = Command::new("openssl")
        .args(["ts", "-reply", "-config", "ts.cnf", "-queryfile"])
        .arg(&query)
        .arg("-out")
        .arg(&reply)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let body = std::fs::read(&reply).unwrap();
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(&body);
}

/// With a timestamp authority in `tongbao.yaml`, the signature carries its timestamp (PAdES
/// B-T), which pyHanko and OpenSSL find and tongbao verifies; without an answer nothing is issued.
#[test]
fn a_timestamp_authority_makes_the_signature_b_t() {
    let keys = Keys::make();
    let url = timestamp_authority(&keys);
    let p = project(&keys);
    p.write(
        "tongbao.yaml",
        &format!("信任的证书: [certs/ca.pem]\n时间戳服务: {url}\n"),
    );
    git(p.root(), &["commit", "-qam", "时间戳服务"]);
    let out = issue_signed(&p, &keys.path("rsa.p12"), PASSWORD);
    assert!(out.status.success(), "{}", output(&out));
    assert!(
        output(&out).contains("已签名（PAdES B-T，带时间戳）"),
        "{}",
        output(&out)
    );
    let issued = p.path("data/2023-03/issued.pdf");
    assert!(pdfsig(&issued).contains("Signature is Valid."), "{}", pdfsig(&issued));
    let exe = std::env::var("TONGBAO_PYHANKO").unwrap();
    let out = Command::new(exe)
        .args(["sign", "validate", "--pretty-print", "--trust"])
        .arg(keys.path("ca.pem"))
        .arg("--trust-replace")
        .arg(&issued)
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{report}");
    for line in [
        "This timestamp is backed by a time stamping authority.",
        "The timestamp token is cryptographically sound.",
        "TSA certificate subject: \"Common Name: 测试时间戳服务\"",
        "The TSA certificate is trusted.",
        "The signature is judged VALID.",
    ] {
        assert!(report.contains(line), "{line}\n{report}");
    }
    let cms = cms_printed(&std::fs::read(&issued).unwrap(), keys.dir.path());
    assert!(cms.contains("id-smime-aa-timeStampToken"), "{cms}");
    let out = p.run(&["verify", issued.to_str().unwrap()]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(
        output(&out).contains("（时间戳服务 CN=测试时间戳服务）"),
        "{}",
        output(&out)
    );

    // The authority does not answer: nothing is issued, and the message says whom it asked.
    let p = project(&keys);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    p.write("tongbao.yaml", &format!("时间戳服务: http://127.0.0.1:{port}/tsa\n"));
    git(p.root(), &["commit", "-qam", "时间戳服务"]);
    let out = issue_signed(&p, &keys.path("rsa.p12"), PASSWORD);
    assert!(!out.status.success(), "{}", output(&out));
    assert!(
        output(&out).contains(&format!("时间戳服务 http://127.0.0.1:{port}/tsa：无法连接")),
        "{}",
        output(&out)
    );
    assert!(!p.path("data/2023-03/issued.pdf").exists());
    // An address that is not one is an error where it is written.
    p.write("tongbao.yaml", "时间戳服务: ftp://tsa.example.cn\n");
    let out = p.run(&["check", "2023-03"]);
    assert!(output(&out).contains("不是时间戳服务的地址"), "{}", output(&out));
}

/// A PNG seal: a red ring, `side` pixels square.
fn ring_png(side: u32) -> Vec<u8> {
    let mut pixels = Vec::with_capacity((side * side * 4) as usize);
    let c = side as f64 / 2.0;
    for y in 0..side {
        for x in 0..side {
            let r = ((x as f64 - c).powi(2) + (y as f64 - c).powi(2)).sqrt();
            let ink = r < c - 2.0 && r > c - 14.0;
            pixels.extend_from_slice(if ink { &[230, 0, 18, 255] } else { &[255, 255, 255, 0] });
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// The seal's picture swapped in a signed circular (its image's bytes changed): poppler, pyHanko
/// and tongbao each find the signature broken.
#[test]
fn a_seal_picture_swapped_after_signing_breaks_the_signature() {
    let keys = Keys::make();
    let p = Project::march_only();
    std::fs::create_dir_all(p.path("assets")).unwrap();
    std::fs::write(p.path("assets/seal.png"), ring_png(300)).unwrap();
    let doc = p.read("data/2023-03/document.yaml");
    p.write(
        "data/2023-03/document.yaml",
        &format!("{doc}版式:\n  印章: assets/seal.png\n"),
    );
    let p = committed(&keys, p);
    let out = issue_signed(&p, &keys.path("ec-chain.pem"), PASSWORD);
    assert!(out.status.success(), "{}", output(&out));
    let issued = p.path("data/2023-03/issued.pdf");
    let mut bytes = std::fs::read(&issued).unwrap();
    // The seal's image: the one image the circular has, its stream's bytes.
    let image = bytes
        .windows(14)
        .position(|w| w == b"/Subtype/Image" || w == b"/Subtype /Imag")
        .expect("the seal is an image");
    let data = image + bytes[image..].windows(7).position(|w| w == b"stream\n").unwrap() + 7;
    bytes[data + 40] ^= 0x55;
    let swapped = keys.dir.path().join("swapped.pdf");
    std::fs::write(&swapped, &bytes).unwrap();
    assert!(pdfsig(&swapped).contains("Digest Mismatch"), "{}", pdfsig(&swapped));
    let (valid, verdict) = pyhanko(&swapped, &keys.path("ca.pem"));
    assert!(!valid && verdict.contains("INVALID"), "{verdict}");
    let out = p.run(&["verify", swapped.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", output(&out));
    assert!(
        output(&out).contains("签名：无效：文件在签名之后被改动过"),
        "{}",
        output(&out)
    );
}
