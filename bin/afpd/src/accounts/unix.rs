//! System users and groups through NSS (`getpwnam_r`, `getgrnam_r`, `getgrgid_r`,
//! `getgrouplist`, via `nix`).

use std::ffi::CString;
use std::io;
use std::path::PathBuf;

use nix::unistd::{Gid, Group, Uid, User};

use super::UserInfo;

fn to_io(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// The system account `name`, with its supplementary groups; `Ok(None)` if there is none.
pub fn user_info(name: &str) -> io::Result<Option<UserInfo>> {
    if name.is_empty() || name.contains('\0') {
        return Ok(None);
    }
    let Some(user) = User::from_name(name).map_err(to_io)? else {
        return Ok(None);
    };
    Ok(Some(from_user(user)?))
}

/// The system account with uid `uid`.
pub fn user_by_uid(uid: u32) -> io::Result<Option<UserInfo>> {
    match User::from_uid(Uid::from_raw(uid)).map_err(to_io)? {
        Some(user) => Ok(Some(from_user(user)?)),
        None => Ok(None),
    }
}

fn from_user(user: User) -> io::Result<UserInfo> {
    let cname = CString::new(user.name.clone())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "user name with NUL"))?;
    let mut groups: Vec<u32> = nix::unistd::getgrouplist(&cname, user.gid)
        .map_err(to_io)?
        .into_iter()
        .map(Gid::as_raw)
        .collect();
    groups.push(user.gid.as_raw());
    groups.sort_unstable();
    groups.dedup();
    let gecos = user.gecos.to_string_lossy().into_owned();
    let full_name = gecos.split(',').next().unwrap_or("").to_owned();
    let home = (!user.dir.as_os_str().is_empty()).then(|| PathBuf::from(&user.dir));
    Ok(UserInfo {
        group_name: group_name(user.gid.as_raw()),
        name: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        groups,
        home,
        full_name,
        system_account: true,
        is_guest: false,
    })
}

/// The gid of group `name`; `Ok(None)` if there is no such group.
pub fn group_id(name: &str) -> io::Result<Option<u32>> {
    if name.is_empty() || name.contains('\0') {
        return Ok(None);
    }
    Ok(Group::from_name(name)
        .map_err(to_io)?
        .map(|g| g.gid.as_raw()))
}

/// The name of group `gid`.
pub fn group_name(gid: u32) -> Option<String> {
    Group::from_gid(Gid::from_raw(gid))
        .ok()
        .flatten()
        .map(|g| g.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_exists_with_group_zero() {
        let root = user_info("root")
            .unwrap()
            .expect("every Linux system has root");
        assert_eq!(root.uid, 0);
        assert_eq!(root.gid, 0);
        assert!(root.groups.contains(&0));
        assert_eq!(group_id("root").unwrap(), Some(0));
        assert_eq!(group_name(0).as_deref(), Some("root"));
        assert_eq!(user_by_uid(0).unwrap().unwrap().name, "root");
    }

    #[test]
    fn missing_user_and_group() {
        assert!(user_info("no-such-user-afpd-test").unwrap().is_none());
        assert!(user_info("").unwrap().is_none());
        assert!(group_id("no-such-group-afpd-test").unwrap().is_none());
    }
}
