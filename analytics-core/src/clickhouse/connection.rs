//! Queries over ClickHouse's HTTP interface, and their errors, classified.

use std::fmt;
use std::io::Read;
use std::time::Duration;

use super::version::ServerVersion;

/// A ClickHouse HTTP endpoint with its credentials: runs queries and DDL.
#[derive(Clone)]
pub struct Connection {
    url: String,
    database: Option<String>,
    user: Option<String>,
    password: Option<String>,
    agent: ureq::Agent,
    timeout: Duration,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Connection {
    /// The server at `url` (`http://127.0.0.1:8123`), default user, 10 s timeout.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        Connection {
            url: url.trim_end_matches('/').to_owned(),
            database: None,
            user: None,
            password: None,
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            timeout: Duration::from_secs(10),
        }
    }

    /// The session's database (`?database=`).
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// The user (`X-ClickHouse-User`).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// The password (`X-ClickHouse-Key`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The whole request's timeout; default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The session's database, if set.
    pub fn database_name(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The same server and credentials, no session database.
    pub fn without_database(&self) -> Connection {
        Connection {
            database: None,
            ..self.clone()
        }
    }

    /// Runs a statement and returns the response body (`FORMAT ...` decides its shape).
    pub fn query(&self, sql: &str) -> Result<String, QueryError> {
        self.post(&[], sql.as_bytes(), None)
    }

    /// `SELECT version()`.
    pub fn server_version(&self) -> Result<ServerVersion, QueryError> {
        let text = self.query("SELECT version()")?;
        ServerVersion::parse(&text).ok_or_else(|| QueryError {
            status: None,
            code: None,
            message: format!("`SELECT version()` answered {:?}", text.trim()),
        })
    }

    /// Posts `body` with `params` in the query string (the query itself may
    /// be one of them); `encoding` is the body's `Content-Encoding`.
    pub(crate) fn post(
        &self,
        params: &[(&str, &str)],
        body: &[u8],
        encoding: Option<&str>,
    ) -> Result<String, QueryError> {
        let mut request = self
            .agent
            .post(&format!("{}/", self.url))
            .timeout(self.timeout);
        if let Some(database) = &self.database {
            request = request.query("database", database);
        }
        for (name, value) in params {
            request = request.query(name, value);
        }
        if let Some(user) = &self.user {
            request = request.set("X-ClickHouse-User", user);
        }
        if let Some(password) = &self.password {
            request = request.set("X-ClickHouse-Key", password);
        }
        if let Some(encoding) = encoding {
            request = request.set("Content-Encoding", encoding);
        }
        let read = |response: ureq::Response| {
            let mut text = String::new();
            let _ = response
                .into_reader()
                .take(16 * 1024 * 1024)
                .read_to_string(&mut text);
            text
        };
        match request.send_bytes(body) {
            Ok(response) => Ok(read(response)),
            Err(ureq::Error::Status(status, response)) => {
                let header_code = response
                    .header("X-ClickHouse-Exception-Code")
                    .and_then(|code| code.trim().parse().ok());
                let message = read(response).trim().to_owned();
                Err(QueryError {
                    status: Some(status),
                    code: header_code.or_else(|| exception_code(&message)),
                    message,
                })
            }
            Err(ureq::Error::Transport(error)) => Err(QueryError {
                status: None,
                code: None,
                message: format!("cannot reach ClickHouse at {}: {error}", self.url),
            }),
        }
    }
}

/// `Code: 60, e.displayText() = ...` -> 60.
fn exception_code(message: &str) -> Option<u32> {
    let rest = &message[message.find("Code: ")? + 6..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A failed query: the HTTP status, ClickHouse's exception code and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The HTTP status; `None` when the server could not be reached.
    pub status: Option<u16>,
    /// ClickHouse's exception code (`60`: unknown table), from the
    /// `X-ClickHouse-Exception-Code` header or the body.
    pub code: Option<u32>,
    /// The server's message, or the connection error.
    pub message: String,
}

/// Exception codes that no retry can fix: the statement, the data or the
/// credentials are wrong (older servers answer them with HTTP 500 too).
const PERMANENT_CODES: &[u32] = &[
    6,   // CANNOT_PARSE_TEXT
    16,  // NO_SUCH_COLUMN_IN_TABLE
    26,  // CANNOT_PARSE_QUOTED_STRING
    27,  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    36,  // BAD_ARGUMENTS
    38,  // CANNOT_PARSE_DATE
    41,  // CANNOT_PARSE_DATETIME
    43,  // ILLEGAL_TYPE_OF_ARGUMENT
    44,  // ILLEGAL_COLUMN
    47,  // UNKNOWN_IDENTIFIER
    49,  // LOGICAL_ERROR (an unknown enum element on old servers)
    50,  // UNKNOWN_TYPE
    53,  // TYPE_MISMATCH
    57,  // TABLE_ALREADY_EXISTS
    60,  // UNKNOWN_TABLE
    62,  // SYNTAX_ERROR
    69,  // ARGUMENT_OUT_OF_BOUND
    70,  // CANNOT_CONVERT_TYPE
    72,  // CANNOT_PARSE_NUMBER
    73,  // UNKNOWN_FORMAT
    81,  // UNKNOWN_DATABASE
    115, // UNKNOWN_SETTING
    117, // INCORRECT_DATA
    164, // READONLY
    192, // UNKNOWN_USER
    193, // WRONG_PASSWORD
    194, // REQUIRED_PASSWORD
    497, // ACCESS_DENIED
    516, // AUTHENTICATION_FAILED
];

impl QueryError {
    /// No retry can make this succeed: a known data, schema or credential
    /// error, or a 4xx status other than 408 and 429. Connection errors,
    /// timeouts and other 5xx are transient.
    pub fn is_permanent(&self) -> bool {
        if let Some(code) = self.code {
            if PERMANENT_CODES.contains(&code) {
                return true;
            }
        }
        match self.status {
            Some(408 | 429) | None => false,
            Some(status) => (400..500).contains(&status),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "ClickHouse answered HTTP {status}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for QueryError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(status: Option<u16>, message: &str) -> QueryError {
        QueryError {
            status,
            code: exception_code(message),
            message: message.to_owned(),
        }
    }

    #[test]
    fn errors_are_classified_by_code_then_status() {
        let unknown_table = error(
            Some(404),
            "Code: 60, e.displayText() = DB::Exception: Table x doesn't exist.",
        );
        assert_eq!(unknown_table.code, Some(60));
        assert!(unknown_table.is_permanent());
        // Old servers answer bad data with 500: the code decides.
        assert!(error(
            Some(500),
            "Code: 117, e.displayText() = DB::Exception: Unknown field found"
        )
        .is_permanent());
        assert!(error(Some(500), "Code: 53, e.displayText() = Type mismatch").is_permanent());
        assert!(!error(Some(500), "Code: 252, e.displayText() = Too many parts").is_permanent());
        assert!(!error(Some(503), "").is_permanent());
        assert!(!error(None, "connection refused").is_permanent());
        assert!(!error(Some(429), "").is_permanent());
        assert!(error(Some(403), "").is_permanent());
        assert_eq!(exception_code("no code here"), None);
    }
}
