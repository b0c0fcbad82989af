//! One error type for the whole core. Every message is meant to be shown to a
//! user as is: it says what was wrong and, where it helps, what would be valid.

use std::fmt;

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core. Operations that fail change nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A parameter is out of range or unknown (name, message).
    InvalidParameter { name: String, message: String },
    /// An image or mask has the wrong dimensions for the operation.
    SizeMismatch(String),
    /// The bytes could not be decoded as an image.
    Decode(String),
    /// The image file ends early or is damaged part way: its header was
    /// readable, its pixels not all. Callers may offer to open what could
    /// be decoded (the CLI's `--allow-partial`).
    Truncated(String),
    /// The image could not be encoded.
    Encode(String),
    /// The image exceeds the size limits, checked before anything is allocated.
    TooLarge(String),
    /// A GPU was required and none could be used, or the GPU failed.
    Gpu(String),
    /// A plugin manifest is invalid; `field` is the JSON path of the offending field.
    Manifest {
        plugin: String,
        field: String,
        message: String,
    },
    /// A third-party plugin was refused or failed (trap, time or memory limit, bad output).
    Plugin { plugin: String, message: String },
    /// Reading or writing a file failed.
    Io(String),
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidParameter { name, message } => write!(f, "invalid {name}: {message}"),
            Error::SizeMismatch(m) => write!(f, "size mismatch: {m}"),
            Error::Decode(m) => write!(f, "cannot decode image: {m}"),
            Error::Truncated(m) => write!(f, "the image is truncated or damaged: {m}"),
            Error::Encode(m) => write!(f, "cannot encode image: {m}"),
            Error::TooLarge(m) => write!(f, "image too large: {m}"),
            Error::Gpu(m) => write!(f, "GPU error: {m}"),
            Error::Manifest {
                plugin,
                field,
                message,
            } => {
                write!(
                    f,
                    "invalid plugin manifest '{plugin}': field '{field}': {message}"
                )
            }
            Error::Plugin { plugin, message } => write!(f, "plugin '{plugin}': {message}"),
            Error::Io(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}
