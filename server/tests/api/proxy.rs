//! lanyard behind nginx, set up as docs/DEPLOY.md says: deploy/nginx.conf terminating TLS with a
//! throw-away certificate, in front of two instances of the real binary configured by
//! deploy/lanyard.env, on one PostgreSQL database. Only ports, file paths and the upstream
//! addresses differ from the recipe. nginx is Debian's package (scripts/setup installs it), started
//! with a configuration of its own, not as the system service.

use crate::binary::Binary;
use crate::helpers::{Db, PASSWORD, TestDb, USER_AGENT, eventually, exchange};
use serde_json::json;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The host name of the recipe; the test's client resolves it to nginx's listener.
const HOST: &str = "lanyard.example.com";
/// Where the test's browser connects from: not the proxy's address, so that the address lanyard
/// records can only have come through X-Forwarded-For.
const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

fn deploy_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy").join(name)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `deploy/lanyard.env` as `KEY=VALUE` pairs, without comments.
fn recipe_environment() -> Vec<(String, String)> {
    std::fs::read_to_string(deploy_file("lanyard.env"))
        .expect("deploy/lanyard.env")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (key, value) = line.split_once('=').expect("KEY=VALUE");
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// nginx running `deploy/nginx.conf` from a directory of its own.
struct Nginx {
    child: Child,
    dir: PathBuf,
    https: SocketAddr,
    http: SocketAddr,
    certificate: String,
}

impl Nginx {
    fn start(upstreams: [&str; 2]) -> Self {
        let binary = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|path| Path::new(path).exists())
            .expect("nginx is installed (scripts/setup installs Debian's package)");
        let dir = std::env::temp_dir().join(format!("lanyard-nginx-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let issued = rcgen::generate_simple_self_signed(vec![HOST.to_owned()]).unwrap();
        let certificate = issued.cert.pem();
        std::fs::write(dir.join("fullchain.pem"), &certificate).unwrap();
        std::fs::write(dir.join("privkey.pem"), issued.signing_key.serialize_pem()).unwrap();

        let (https, http) = (free_port(), free_port());
        let recipe = std::fs::read_to_string(deploy_file("nginx.conf")).expect("deploy/nginx.conf");
        let site = [
            ("server 127.0.0.1:3001 ", format!("server {} ", upstreams[0])),
            ("server 127.0.0.1:3002 ", format!("server {} ", upstreams[1])),
            ("listen 80;", format!("listen 127.0.0.1:{http};")),
            ("listen 443 ssl http2;", format!("listen 127.0.0.1:{https} ssl http2;")),
            ("/etc/ssl/lanyard", dir.display().to_string()),
        ]
        .iter()
        .fold(recipe, |site, (from, to)| {
            assert!(site.contains(from), "deploy/nginx.conf has `{from}`");
            site.replace(from, to)
        });
        std::fs::write(dir.join("lanyard.conf"), site).unwrap();
        // What Debian's /etc/nginx/nginx.conf provides around conf.d/*.conf, in this directory.
        let main = format!(
            "daemon off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log info;\nevents {{}}\nhttp {{\n\
             access_log {dir}/access.log;\nclient_body_temp_path {dir}/body;\nproxy_temp_path {dir}/proxy;\n\
             fastcgi_temp_path {dir}/fastcgi;\nuwsgi_temp_path {dir}/uwsgi;\nscgi_temp_path {dir}/scgi;\n\
             include {dir}/lanyard.conf;\n}}\n",
            dir = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), main).unwrap();

        let conf = dir.join("nginx.conf");
        let checked = Command::new(binary).arg("-t").arg("-e").arg(dir.join("error.log")).arg("-c").arg(&conf).output();
        let checked = checked.expect("nginx runs");
        assert!(checked.status.success(), "nginx accepts the recipe: {}", String::from_utf8_lossy(&checked.stderr));
        let child = Command::new(binary)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let localhost = |port| SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let nginx = Self { child, dir, https: localhost(https), http: localhost(http), certificate };
        let listening = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(25));
            std::net::TcpStream::connect(nginx.https).is_ok()
        });
        assert!(listening, "nginx listens: {}", nginx.error_log());
        nginx
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    /// A browser's view of the site: HTTPS to the recipe's host name, trusting only the throw-away
    /// certificate, from [`CLIENT_IP`].
    fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(reqwest::Certificate::from_pem(self.certificate.as_bytes()).unwrap())
            .resolve(HOST, self.https)
            .local_address(IpAddr::V4(CLIENT_IP))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(USER_AGENT)
            .build()
            .unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("https://{HOST}:{}{path}", self.https.port())
    }

    /// What a browser sends as `Origin` on this site's POSTs.
    fn origin(&self) -> String {
        format!("https://{HOST}:{}", self.https.port())
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Two instances of the binary over `db`, started with deploy/lanyard.env.
async fn two_instances(db: &TestDb, dir: &Path) -> [Binary; 2] {
    let secret = dir.join("secret");
    std::fs::write(&secret, "a signing secret shared by both instances, 32+ bytes\n").unwrap();
    let site_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    let own = [
        ("LANYARD_SECRET_FILE", secret.display().to_string()),
        ("LEPTOS_SITE_ROOT", site_root.display().to_string()),
        // Each instance's access log shows which requests it served.
        ("LANYARD_ACCESS_LOG", "on".to_owned()),
    ];
    let mut env = recipe_environment();
    env.retain(|(key, _)| key != "DATABASE_URL" && !own.iter().any(|(replaced, _)| replaced == key));
    env.extend(own.iter().map(|(key, value)| ((*key).to_owned(), value.clone())));
    let env: Vec<(&str, &str)> = env.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
    let first = Binary::start(db, &env).await;
    let second = Binary::serve(db, &env).await;
    [first, second]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_behind_nginx_keep_sessions_secure_and_revocable() {
    let db = TestDb::create(Db::Postgres).await;
    let secrets = tempdir();
    let mut instances = two_instances(&db, &secrets).await;
    let nginx = Nginx::start([instances[0].address(), instances[1].address()]);
    let browser = nginx.browser();
    let post = |path: &str, access: Option<&str>, cookie: Option<&str>, body: serde_json::Value| {
        let mut request = browser.post(nginx.url(path)).header("origin", nginx.origin()).json(&body);
        if let Some(access) = access {
            request = request.bearer_auth(access);
        }
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("lanyard_refresh={cookie}"));
        }
        exchange(request)
    };

    // TLS everywhere: plain HTTP only redirects, and every answer over TLS carries HSTS.
    let page = exchange(browser.get(nginx.url("/signin"))).await;
    assert_eq!(page.status, 200, "{}", nginx.error_log());
    assert_eq!(page.header("strict-transport-security"), Some("max-age=31536000; includeSubDomains"));
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let redirect = exchange(plain.get(format!("http://{}/signin", nginx.http)).header("host", HOST)).await;
    assert_eq!(redirect.status, 301);
    assert_eq!(redirect.header("location"), Some(format!("https://{HOST}/signin").as_str()));
    assert_eq!(exchange(browser.get(nginx.url("/metrics"))).await.status, 404, "metrics are not public");
    let scraped = exchange(plain.get(format!("{}/metrics", instances[0].base))).await;
    assert_eq!(scraped.status, 200, "each instance serves its metrics to the scraper");

    // Sign-in with a forged X-Forwarded-For: the cookie is Secure and the address is the client's.
    let login = json!({ "email": "ada@example.com", "password": PASSWORD });
    let request = browser.post(nginx.url("/api/auth/login")).header("origin", nginx.origin());
    let laptop = exchange(request.header("x-forwarded-for", "203.0.113.7").json(&login)).await;
    assert_eq!(laptop.status, 200, "{:?}", laptop.body);
    let cookie = laptop.set_cookie().unwrap();
    for attribute in ["Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.split("; ").any(|a| a.eq_ignore_ascii_case(attribute)), "{attribute} in {cookie}");
    }
    assert_eq!(laptop.header("strict-transport-security"), Some("max-age=31536000; includeSubDomains"));
    let request_id = laptop.header("x-request-id").unwrap_or_default();
    assert!(request_id.len() == 32 && request_id.bytes().all(|b| b.is_ascii_hexdigit()), "nginx's id: {request_id}");

    // Refreshes alternate between the instances and every one rotates.
    let mut refresh = laptop.refresh_cookie().unwrap();
    let mut access = laptop.access_token();
    for _ in 0..6 {
        let rotated = post("/api/auth/refresh", None, Some(&refresh), json!({})).await;
        assert_eq!(rotated.status, 200, "{:?}", rotated.body);
        assert!(rotated.set_cookie().unwrap().contains("Secure"));
        refresh = rotated.refresh_cookie().unwrap();
        access = rotated.access_token();
    }
    let sessions = exchange(browser.get(nginx.url("/api/auth/sessions")).bearer_auth(&access)).await;
    assert_eq!(sessions.status, 200, "{:?}", sessions.body);
    assert_eq!(sessions.body["active"][0]["ip"], CLIENT_IP.to_string(), "the forged address is ignored");

    // A revocation on whichever instance nginx picks holds on both within a second.
    let phone = post("/api/auth/login", None, None, login.clone()).await;
    assert_eq!(phone.status, 200, "{:?}", phone.body);
    let phone_session = phone.body["session_id"].as_str().unwrap().to_owned();
    let revoked = post("/api/auth/sessions/revoke", Some(&access), None, json!({ "session_id": phone_session })).await;
    assert_eq!(revoked.status, 200, "{:?}", revoked.body);
    let direct = reqwest::Client::new();
    for instance in &instances {
        let me = format!("{}/api/auth/me", instance.base);
        let ended = eventually(Duration::from_secs(1), || {
            let request = direct.get(&me).bearer_auth(phone.access_token());
            async move { exchange(request).await.body["logout_reason"] == "LOGOUT_OTHER_DEVICE" }
        });
        assert!(ended.await, "the phone's session ended on {}", instance.base);
        let kept = exchange(direct.get(&me).bearer_auth(&access)).await;
        assert_eq!(kept.status, 200, "the laptop's session lives on {}: {:?}", instance.base, kept.body);
    }
    let refused = post("/api/auth/refresh", None, Some(&phone.refresh_cookie().unwrap()), json!({})).await;
    assert_eq!((refused.status, refused.body["logout_reason"].as_str()), (401, Some("LOGOUT_OTHER_DEVICE")));

    let printed: Vec<String> = instances.iter_mut().map(Binary::stop).collect();
    for (instance, log) in printed.iter().enumerate() {
        assert!(log.contains("/api/auth/refresh"), "instance {instance} served refreshes:\n{log}");
    }
    let _ = std::fs::remove_dir_all(secrets);
}

/// A directory for the test's secret file, removed with the test's temporary files.
fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lanyard-proxy-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
