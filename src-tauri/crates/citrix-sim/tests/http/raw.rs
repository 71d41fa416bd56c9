//! Raw TCP requests: what bytes the path really carries (`$` versus `%24`) must not depend on
//! an HTTP client's normalisation, and a reset must really be a reset.

use std::io;

use citrix_sim::SpecialSessions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Api, SITE};

async fn raw(api: &Api, method: &str, target: &str, body: &str) -> io::Result<String> {
    let mut stream = TcpStream::connect(api.sim.local_addr()).await?;
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: CWSAuth bearer={}\r\n\
         Accept: application/json\r\nCitrix-CustomerId: demo-customer\r\nCitrix-InstanceId: {SITE}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        api.token,
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    Ok(String::from_utf8_lossy(&response).into_owned())
}

fn status_line(response: &str) -> &str {
    response.lines().next().unwrap_or("")
}

#[tokio::test]
async fn literal_dollar_and_percent_24_reach_the_same_actions() {
    let api = Api::start().await;
    let id = SpecialSessions::ids().recordable;
    let base = "/cvad/manage/Sessions";

    let r = raw(
        &api,
        "POST",
        &format!("{base}/{id}/$startRecording?notifyUser=false"),
        "",
    )
    .await
    .unwrap();
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{r}");
    assert_eq!(api.ctl.notify_user(&id), Some(false));
    let r = raw(&api, "POST", &format!("{base}/{id}/%24stopRecording"), "")
        .await
        .unwrap();
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{r}");
    assert!(!api.ctl.is_recording(&id));
    let r = raw(&api, "POST", &format!("{base}/{id}/%24startRecording"), "")
        .await
        .unwrap();
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{r}");
    assert!(api.ctl.is_recording(&id));
    let r = raw(&api, "POST", &format!("{base}/{id}/$stopRecording"), "")
        .await
        .unwrap();
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{r}");
    assert!(!api.ctl.is_recording(&id));

    for path in ["$search", "%24search", "%24SEARCH"] {
        let r = raw(&api, "POST", &format!("{base}/{path}?limit=1"), "{}")
            .await
            .unwrap();
        assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{path}: {r}");
        assert!(r.contains("\"TotalItems\":240"), "{r}");
        assert!(r
            .to_lowercase()
            .contains("content-type: application/json; charset=utf-8"));
    }
}

#[tokio::test]
async fn reset_is_a_tcp_reset_without_any_response_bytes() {
    let api = Api::start().await;
    api.ctl.reset_connections(1);
    match raw(&api, "GET", "/cvad/manage/me", "").await {
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}"),
        Ok(bytes) => panic!("expected a reset, got {bytes:?}"),
    }
    let r = raw(&api, "GET", "/cvad/manage/me", "").await.unwrap();
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK");
}
