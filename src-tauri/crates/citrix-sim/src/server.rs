//! The listener and connection handling.
//!
//! Connections are served with hyper directly (not `axum::serve`) for one reason: to simulate a
//! connection reset, the service returns an error, hyper then drops the connection without
//! writing a response, and because the simulator set `SO_LINGER` to zero on that socket the
//! kernel sends a TCP RST instead of a FIN, as a real reset would.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use time::OffsetDateTime;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use url::Url;

use crate::config::SimConfig;
use crate::control::SimControl;
use crate::fixtures;
use crate::http::ResetConnection;
use crate::router;
use crate::state::State;

/// A running simulator. Dropping it stops the listener too (in the background); call
/// [`Simulator::shutdown`] to wait until it has stopped.
pub struct Simulator {
    url: Url,
    addr: SocketAddr,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Binds 127.0.0.1 on `cfg.port` (0 = any free port), generates the fixture sessions and
    /// starts serving on the current tokio runtime.
    pub async fn start(cfg: SimConfig) -> io::Result<Simulator> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, cfg.port)).await?;
        let addr = listener.local_addr()?;
        let url =
            Url::parse(&format!("http://127.0.0.1:{}", addr.port())).map_err(io::Error::other)?;
        let now = OffsetDateTime::now_utc();
        let anchor = now
            .replace_minute(0)
            .and_then(|t| t.replace_second(0))
            .and_then(|t| t.replace_nanosecond(0))
            .unwrap_or(now);
        let sessions = fixtures::generate(cfg.fixtures, cfg.sessions, anchor);
        let state = Arc::new(State::new(&cfg, url.clone(), sessions));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), stopped));
        Ok(Simulator {
            url,
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT/`: the token service and the API share this base and are routed
    /// by path (`/cctrustoauth2/...`, `/resourceprovider/...`, `/cvad/manage/...`).
    pub fn url(&self) -> Url {
        self.url.clone()
    }

    /// The bound address (useful when the port was 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle to the fault switches and the state; cheap to clone, usable after shutdown.
    pub fn control(&self) -> SimControl {
        SimControl::new(Arc::clone(&self.state))
    }

    /// Stops accepting, aborts open connections (stalled requests included) and waits for the
    /// listener to close.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // Also fires when the sender is dropped with the Simulator.
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&state)));
                }
                Err(e) => {
                    // Typically out of file descriptors under a load test: back off briefly
                    // instead of spinning.
                    tracing::warn!("citrix-sim accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// The error a service returns to make hyper drop the connection.
#[derive(Debug)]
struct SimulatedReset;

impl std::fmt::Display for SimulatedReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("simulated connection reset")
    }
}

impl std::error::Error for SimulatedReset {}

/// A second handle on the same socket, kept so that a reset can set `SO_LINGER` after hyper
/// has taken the stream.
fn with_twin(stream: TcpStream) -> io::Result<(TcpStream, std::net::TcpStream)> {
    let std_stream = stream.into_std()?;
    let twin = std_stream.try_clone()?;
    Ok((TcpStream::from_std(std_stream)?, twin))
}

async fn serve_connection(stream: TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let Ok((stream, twin)) = with_twin(stream) else {
        return;
    };
    let twin = Arc::new(twin);
    let service = hyper::service::service_fn(move |request| {
        let state = Arc::clone(&state);
        let twin = Arc::clone(&twin);
        async move {
            let response = router::handle(state, request).await;
            if response.extensions().get::<ResetConnection>().is_some() {
                let _ = socket2::SockRef::from(&*twin).set_linger(Some(Duration::ZERO));
                return Err(SimulatedReset);
            }
            Ok(response)
        }
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
