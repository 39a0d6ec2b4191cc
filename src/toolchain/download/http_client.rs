//! The HTTP client downloads use: the build's proxy variables, read from its
//! [`Env`] (never the process environment), and the timeouts of
//! [`DownloadOptions`].

use super::options::DownloadOptions;
use crate::env::Env;
use crate::error::{Error, Result};

/// An HTTP client honouring the build's proxy variables (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper or lower case) from `env`,
/// never from the process environment.
pub fn http_client(env: &Env, options: &DownloadOptions) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .user_agent(concat!("acme-go-builder/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.read_timeout);
    for proxy in proxies(env)? {
        builder = builder.proxy(proxy);
    }
    builder
        .build()
        .map_err(|e| Error::Internal(format!("cannot create the HTTP client: {e}")))
}

fn env_either<'a>(env: &'a Env, name: &str) -> Option<&'a str> {
    env.non_empty(name)
        .or_else(|| env.non_empty(&name.to_ascii_lowercase()))
}

fn proxies(env: &Env) -> Result<Vec<reqwest::Proxy>> {
    let no_proxy = env_either(env, "NO_PROXY").and_then(reqwest::NoProxy::from_string);
    let mut list = Vec::new();
    for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
        if let Some(url) = env_either(env, name) {
            let proxy = match name {
                "HTTPS_PROXY" => reqwest::Proxy::https(url),
                "HTTP_PROXY" => reqwest::Proxy::http(url),
                _ => reqwest::Proxy::all(url),
            }
            .map_err(|e| Error::InvalidOptions(format!("{name}={url} is not a proxy URL: {e}")))?;
            list.push(proxy.no_proxy(no_proxy.clone()));
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_come_from_the_given_env_only() {
        let env = |pairs: &[(&str, &str)]| -> Env {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(proxies(&Env::default()).unwrap().len(), 0);
        let two = env(&[
            ("https_proxy", "http://127.0.0.1:3128"),
            ("HTTP_PROXY", "http://127.0.0.1:3129"),
            ("NO_PROXY", "localhost"),
        ]);
        assert_eq!(proxies(&two).unwrap().len(), 2);
        let bad = env(&[("HTTPS_PROXY", "::not a url::")]);
        assert_eq!(proxies(&bad).unwrap_err().code(), "GO_INVALID_OPTIONS");
    }
}
