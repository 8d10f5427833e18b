//! Decoding errors.
//!
//! Every AFP body is parsed from a complete command block (DSI has already framed it), so
//! the only thing a decoder can report is that the block is invalid: too short for a field,
//! a value outside its range, or a string that is not what the spec allows. The server turns
//! any of these into an AFP result code with [`DecodeError::result_code`] (kFPParamErr in
//! almost every case, as netatalk does) and keeps the session.

use crate::command::CommandCode;
use crate::result::ResultCode;

/// A command block, reply block or status block that does not follow the AFP layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The block ended in the middle of the named field.
    #[error("AFP block truncated while reading {0}")]
    Truncated(&'static str),
    /// The named field holds a value the spec does not allow.
    #[error("invalid value in AFP field {0}")]
    Invalid(&'static str),
    /// The named string is not valid UTF-8.
    #[error("AFP field {0} is not valid UTF-8")]
    BadUtf8(&'static str),
    /// A path type other than 1 (short names), 2 (long names) or 3 (UTF-8 names).
    #[error("unknown AFP path type {0}")]
    BadPathType(u8),
    /// A bitmap asks for fields this command cannot carry (kFPBitmapErr).
    #[error("AFP bitmap {bitmap:#06x} is not valid for {context}")]
    BadBitmap {
        /// The bitmap as received.
        bitmap: u16,
        /// Which bitmap it was.
        context: &'static str,
    },
    /// A variable-length field's offset points outside the block.
    #[error("offset for AFP field {0} points outside the block")]
    BadOffset(&'static str),
    /// The field is longer than the spec allows (for example a Pascal string over 255 bytes).
    #[error("AFP field {0} is too long")]
    TooLong(&'static str),
}

impl DecodeError {
    /// The AFP result code a server answers with when a request fails to decode.
    ///
    /// spec §5 conventions: "kFPParamErr is the general bad vid/did/ref or malformed
    /// request"; a bad bitmap is kFPBitmapErr (§2.6).
    pub fn result_code(&self) -> ResultCode {
        match self {
            DecodeError::BadBitmap { .. } => ResultCode::BITMAP_ERR,
            _ => ResultCode::PARAM_ERR,
        }
    }

    /// The AFP result code a server answers when the request with command `code` fails to
    /// decode. Same as [`DecodeError::result_code`], except where netatalk answers a
    /// malformed login more precisely: a truncated AFP version string gives kFPBadVersNum,
    /// a truncated UAM name kFPBadUAM (netatalk `afp_login`, `afp_login_ext`), and a
    /// truncated FPLoginCont kFPUserNotAuth (`afp_logincont`).
    pub fn result_code_for(&self, code: CommandCode) -> ResultCode {
        match (code, self) {
            (CommandCode::LOGIN | CommandCode::LOGIN_EXT, DecodeError::Truncated(what)) => {
                match *what {
                    "AFP version" | "login flags" | "pad byte" => ResultCode::BAD_VERS_NUM,
                    "UAM name" => ResultCode::BAD_UAM,
                    _ => ResultCode::PARAM_ERR,
                }
            }
            (CommandCode::LOGIN_CONT, DecodeError::Truncated(_)) => ResultCode::USER_NOT_AUTH,
            _ => self.result_code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_errors_map_like_netatalk() {
        let e = DecodeError::Truncated("UAM name");
        assert_eq!(e.result_code_for(CommandCode::LOGIN), ResultCode::BAD_UAM);
        assert_eq!(
            e.result_code_for(CommandCode::OPEN_VOL),
            ResultCode::PARAM_ERR
        );
        let v = DecodeError::Truncated("AFP version");
        assert_eq!(
            v.result_code_for(CommandCode::LOGIN_EXT),
            ResultCode::BAD_VERS_NUM
        );
        let b = DecodeError::BadBitmap {
            bitmap: 1,
            context: "x",
        };
        assert_eq!(
            b.result_code_for(CommandCode::OPEN_VOL),
            ResultCode::BITMAP_ERR
        );
    }
}
