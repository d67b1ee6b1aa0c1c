//! Drives a `tongbao watch` process: its output lines, its preview server, a minimal HTTP client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use super::Project;

/// A running `tongbao watch`.
pub struct Watch {
    pub child: Child,
    pub lines: Receiver<String>,
    pub seen: Vec<String>,
    pub addr: String,
}

impl Watch {
    /// Starts `tongbao watch 2023-03 --port 0` in the project and waits for the first build.
    pub fn start(p: &Project) -> Watch {
        Watch::start_with(p, &["2023-03"])
    }

    /// Starts `tongbao watch ARGS --port 0` in the project and waits for the first build.
    pub fn start_with(p: &Project, args: &[&str]) -> Watch {
        Watch::start_at(p.root(), args)
    }

    /// Starts `tongbao watch ARGS --port 0` in the project at `root` and waits for the first build.
    pub fn start_at(root: &std::path::Path, args: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tongbao"))
            .arg("watch")
            .args(args)
            .args(["--port", "0", "--root"])
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = lines_of(&mut child);
        let mut w = Watch {
            child,
            lines,
            seen: Vec::new(),
            addr: String::new(),
        };
        let url = w.wait_line(|l| l.starts_with("预览：")).unwrap();
        w.addr = url
            .trim_start_matches("预览：http://")
            .trim_end_matches('/')
            .to_string();
        // The first build's line: updated, or (an issued month) placed or refused.
        let first = w.wait_line(|l| l.contains("（首次生成）")).unwrap();
        assert!(first.contains("已更新") || first.contains("已发布"), "{first}");
        w
    }

    /// Waits (up to 20 s) for an output line matching `f`.
    pub fn wait_line(&mut self, f: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if f(&line) {
                        return Some(line);
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no matching line; output so far:\n{}", self.seen.join("\n"));
    }

    /// Counts rebuild lines seen so far plus those arriving within `quiet`.
    pub fn drain(&mut self, quiet: Duration) -> Vec<String> {
        while let Ok(line) = self.lines.recv_timeout(quiet) {
            self.seen.push(line);
        }
        self.seen.clone()
    }

    /// GET `path` from the preview server.
    pub fn get(&self, path: &str) -> (u16, String, Vec<u8>) {
        http(&self.addr, "GET", path, None)
    }

    /// The preview's status.
    pub fn status(&self) -> serde_json::Value {
        serde_json::from_slice(&self.get("/status.json").2).unwrap()
    }

    /// Waits until the status satisfies `f`.
    pub fn wait_status(&self, f: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.status();
            if f(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "status never matched: {s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines a child prints on stdout and stderr, as they come.
pub fn lines_of(child: &mut Child) -> Receiver<String> {
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .for_each(|l| drop(tx.send(l)))
    });
    std::thread::spawn(move || {
        BufReader::new(err)
            .lines()
            .map_while(Result::ok)
            .for_each(|l| drop(tx2.send(l)))
    });
    lines
}

/// A minimal HTTP/1.1 client: one request, `Connection: close`, returns status, content type, body.
pub fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    // Read the head, then exactly Content-Length bytes (servers may keep the connection open).
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let split = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf).unwrap_or(0);
        assert!(n > 0, "connection closed before the response head");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut payload = raw[split + 4..].to_vec();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let header = |name: &str| {
        head.lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
            .map(|l| l[name.len() + 1..].trim().to_string())
            .unwrap_or_default()
    };
    match header("content-length").parse::<usize>() {
        Ok(len) => {
            while payload.len() < len {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                payload.extend_from_slice(&buf[..n]);
            }
        }
        Err(_) => {
            let _ = stream.read_to_end(&mut payload);
        }
    }
    if header("transfer-encoding").eq_ignore_ascii_case("chunked") {
        payload = unchunk(&payload);
    }
    (status, header("content-type"), payload)
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}
