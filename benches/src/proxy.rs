//! A TCP proxy that can take a service away for real: `cut` drops every open connection
//! and refuses new ones, as when the server goes down; `restore` listens again on the same
//! address. The tests cut Postgres with it, and the fault suite cuts S3 (an S3 server
//! restarted would come back empty, which is not the fault under test).

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{net::TcpListener, task::JoinSet};

pub struct TcpProxy {
    /// Where clients connect: `127.0.0.1:<port>`.
    pub addr: String,
    upstream: String,
    state: Mutex<Option<Running>>,
}

struct Running {
    accept: tokio::task::JoinHandle<()>,
    conns: Arc<Mutex<JoinSet<()>>>,
}

impl TcpProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream` (`host:port`).
    pub async fn start(upstream: impl Into<String>) -> std::io::Result<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?.to_string();
        let proxy = TcpProxy {
            addr,
            upstream: upstream.into(),
            state: Mutex::new(None),
        };
        proxy.serve(listener);
        Ok(proxy)
    }

    fn serve(&self, listener: TcpListener) {
        let conns: Arc<Mutex<JoinSet<()>>> = Default::default();
        let (upstream, c) = (self.upstream.clone(), conns.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                c.lock().unwrap().spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        *self.state.lock().unwrap() = Some(Running { accept, conns });
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        if let Some(r) = self.state.lock().unwrap().take() {
            r.accept.abort();
            r.conns.lock().unwrap().abort_all();
        }
    }

    /// Accepts connections again on the same address.
    pub async fn restore(&self) -> std::io::Result<()> {
        let addr: SocketAddr = self.addr.parse().map_err(std::io::Error::other)?;
        // The aborted accept loop releases the port when its task is dropped; retry briefly.
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e),
            }
        };
        self.serve(listener);
        Ok(())
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
    }
}
