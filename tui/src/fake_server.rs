//! A fake HTTP/1.1 server for the app's tests: answers each request with a handler's answer and
//! keeps every request, so a test sees exactly what the client sent.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex as StdMutex};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::api::Client;

pub const KEY: &str = "key";
pub const SECRET: &str = "Zx9-s3cr3t";

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, query)| query)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn empty(status: u16) -> Answer {
        Answer { status, headers: vec![], body: String::new() }
    }

    pub fn json(status: u16, body: Value) -> Answer {
        Answer::empty(status).with("Content-Type", "application/json").body(body)
    }

    pub fn problem(status: u16, detail: &str, errors: &[&str]) -> Answer {
        let body = json!({
            "type": "urn:ed-fi:api:test",
            "title": "Test",
            "status": status,
            "detail": detail,
            "correlationId": "c",
            "validationErrors": {},
            "errors": errors,
        });
        Answer::empty(status).with("Content-Type", "application/problem+json").body(body)
    }

    pub fn body(mut self, body: Value) -> Answer {
        self.body = body.to_string();
        self
    }

    pub fn with(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

pub type Handler = dyn Fn(&Request, &str) -> Answer + Send + Sync;

/// An answer's status that makes the fake close the connection without answering, as a
/// server does that crashed after the request arrived (or a network that lost the answer).
pub const HANG_UP: u16 = 0;

/// An HTTP/1.1 server on 127.0.0.1 answering by `handler(request, its base URL)`, one request
/// per connection, keeping every request.
pub struct Fake {
    pub url: String,
    log: Arc<StdMutex<Vec<Request>>>,
}

impl Fake {
    pub async fn start(handler: impl Fn(&Request, &str) -> Answer + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(StdMutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (accept_log, accept_url) = (log.clone(), url.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, handler, url) = (accept_log.clone(), handler.clone(), accept_url.clone());
                tokio::spawn(async move { serve(stream, &*handler, &url, &log).await });
            }
        });
        Fake { url, log }
    }

    /// A client of this server (given with a trailing `/`, which must not matter).
    pub fn client(&self) -> Client {
        Client::new(&format!("{}/", self.url), KEY, SECRET)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    pub fn to(&self, path: &str) -> Vec<Request> {
        self.requests().into_iter().filter(|r| r.path() == path).collect()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.to(path).len()
    }
}

async fn serve(mut stream: TcpStream, handler: &Handler, url: &str, log: &StdMutex<Vec<Request>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    let request = Request { method, target, headers, body: String::from_utf8_lossy(&body).into_owned() };
    log.lock().unwrap().push(request.clone());
    let answer = handler(&request, url);
    if answer.status == HANG_UP {
        let _ = stream.shutdown().await;
        return;
    }
    let mut out = format!("HTTP/1.1 {} Fake\r\nConnection: close\r\n", answer.status);
    if answer.status != 204 && answer.status != 304 {
        let _ = write!(out, "Content-Length: {}\r\n", answer.body.len());
    }
    for (name, value) in &answer.headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    out.push_str("\r\n");
    out.push_str(&answer.body);
    let _ = stream.write_all(out.as_bytes()).await;
    let _ = stream.shutdown().await;
}
