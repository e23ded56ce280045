//! A lean HTTP/1.1 client for the bench's GET phases: one keep-alive connection per load thread,
//! each request written from prepared bytes, each answer read only far enough to find its end.
//! On a machine with few cores the load generator shares them with the server, so every
//! microsecond it spends is taken from the figure it measures.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// A keep-alive connection to `127.0.0.1:port`, reopened when the server closes it.
pub struct Connection {
    port: u16,
    reader: Option<BufReader<TcpStream>>,
}

impl Connection {
    pub fn new(port: u16) -> Self {
        Self { port, reader: None }
    }

    /// Sends a GET of `target` (path and query) and returns the status once the body is read.
    pub fn get(&mut self, target: &str, authorization: &str) -> io::Result<u16> {
        self.send("GET", target, authorization, &[], None)
    }

    /// Sends a request (a JSON body when there is one) and returns the status once the answer's
    /// body is read.
    pub fn send(
        &mut self,
        method: &str,
        target: &str,
        authorization: &str,
        headers: &[(&str, &str)],
        json: Option<&[u8]>,
    ) -> io::Result<u16> {
        let mut request = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n", self.port);
        if !authorization.is_empty() {
            request.push_str(&format!("Authorization: {authorization}\r\n"));
        }
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = json {
            request
                .push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut request = request.into_bytes();
        request.extend_from_slice(json.unwrap_or_default());
        // A kept-alive connection the server closed meanwhile fails on first use; retry once fresh.
        // Only the benchmark's own idempotent requests come here, so a retry cannot double a write
        // that counts (a create that lands twice is refused as a duplicate and counted a failure).
        match self.exchange(&request) {
            Ok(status) => Ok(status),
            Err(_) => {
                self.reader = None;
                self.exchange(&request)
            }
        }
    }

    fn exchange(&mut self, request: &[u8]) -> io::Result<u16> {
        if self.reader.is_none() {
            let stream = TcpStream::connect(("127.0.0.1", self.port))?;
            stream.set_nodelay(true)?;
            self.reader = Some(BufReader::new(stream));
        }
        let reader = self.reader.as_mut().expect("connected above");
        reader.get_mut().write_all(request)?;
        let (status, keep_alive) = read_response(reader)?;
        if !keep_alive {
            self.reader = None;
        }
        Ok(status)
    }
}

/// Reads one response, body included; returns its status and whether the connection stays open.
fn read_response(reader: &mut impl BufRead) -> io::Result<(u16, bool)> {
    let mut line = Vec::new();
    read_line(reader, &mut line)?;
    let status = line
        .get(9..12)
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let (mut length, mut chunked, mut keep_alive) = (None, false, true);
    loop {
        read_line(reader, &mut line)?;
        if line == b"\r\n" {
            break;
        }
        let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
        let Some((name, value)) = text.split_once(':') else { continue };
        let value = value.trim();
        match name {
            "content-length" => length = value.parse::<u64>().ok(),
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" => keep_alive = !value.contains("close"),
            _ => {}
        }
    }
    if chunked {
        loop {
            read_line(reader, &mut line)?;
            let size = String::from_utf8_lossy(&line);
            let size = size.trim().split(';').next().unwrap_or_default();
            let size = u64::from_str_radix(size, 16).map_err(|_| invalid("bad chunk size"))?;
            skip(reader, size)?;
            read_line(reader, &mut line)?;
            if size == 0 {
                // The line just read ended the (empty) trailer section.
                break;
            }
        }
    } else if let Some(length) = length {
        skip(reader, length)?;
    } else if status >= 200 && status != 204 && status != 304 {
        return Err(invalid("a body without a length"));
    }
    Ok((status, keep_alive))
}

fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<()> {
    line.clear();
    if reader.read_until(b'\n', line)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    Ok(())
}

fn skip(reader: &mut impl BufRead, bytes: u64) -> io::Result<()> {
    let copied = io::copy(&mut reader.take(bytes), &mut io::sink())?;
    if copied < bytes {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "body cut short"));
    }
    Ok(())
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> io::Result<(u16, bool, usize)> {
        let mut reader = BufReader::new(bytes);
        let (status, keep_alive) = read_response(&mut reader)?;
        Ok((status, keep_alive, reader.fill_buf()?.len()))
    }

    #[test]
    fn responses_end_where_their_length_says() {
        let sized = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT";
        assert_eq!(read(sized).unwrap(), (200, true, 4));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\nNEXT";
        assert_eq!(read(chunked).unwrap(), (200, true, 4));
        let closing = b"HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n";
        assert_eq!(read(closing).unwrap(), (304, false, 0));
    }

    #[test]
    fn a_cut_or_garbled_response_is_an_error() {
        assert!(read(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").is_err());
        assert!(read(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(read(b"garbage\r\n\r\n").is_err());
        assert!(read(b"HTTP/1.1 200 OK\r\n\r\nunbounded").is_err());
    }

    #[test]
    fn a_server_closing_between_requests_is_reconnected() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            // Each connection answers one request and closes without saying so.
            for _ in 0..2 {
                let (mut stream, _) = listener.accept().unwrap();
                let mut head = [0u8; 1024];
                let _ = stream.read(&mut head).unwrap();
                stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}").unwrap();
            }
        });
        let mut connection = Connection::new(port);
        assert_eq!(connection.get("/", "").unwrap(), 200);
        assert_eq!(connection.get("/", "Bearer x").unwrap(), 200);
        server.join().unwrap();
    }
}
