//! Another site: a page on 127.0.0.2, which is a different site from lanyard's 127.0.0.1 (a site is
//! the host, whatever the port), with one link to lanyard. Following it is a cross-site navigation,
//! the case where a browser may withhold the SameSite=Strict refresh cookie.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub struct OtherSite {
    pub url: String,
}

impl OtherSite {
    /// Serves, on a task of the current runtime, a page whose link "Open lanyard" goes to `target`.
    pub async fn start(target: &str) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.2", 0)).await?;
        let url = format!("http://127.0.0.2:{}/", listener.local_addr()?.port());
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Another site</title></head>\
             <body><h1>Another site</h1><p><a id=\"to-lanyard\" href=\"{target}\">Open lanyard</a></p></body></html>"
        );
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    // The request is read (up to its blank line) only so that closing does not reset it.
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while let Ok(read) = stream.read(&mut buffer).await {
                        if read == 0 {
                            break;
                        }
                        request.extend_from_slice(&buffer[..read]);
                        if request.windows(4).any(|window| window == b"\r\n\r\n") || request.len() > 16_384 {
                            break;
                        }
                    }
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Ok(Self { url })
    }
}
