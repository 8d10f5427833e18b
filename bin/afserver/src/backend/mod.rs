//! Cartridge libraries over real storage: SIMH image files, Amanda vtape directories and
//! Linux SCSI tape drives, all behind `tape_format::Library`.

pub mod simh;
pub mod st;
pub mod vtape;

use std::path::PathBuf;
use std::process::Command;

use tape_format::{
    BlockMode, DeviceError, Library, Position, ReadOutcome, TapeDevice, WriteOutcome,
};

use crate::config::{Config, Device};

/// A drive with nothing in it.
#[derive(Debug, Default)]
pub struct NoTape;

impl TapeDevice for NoTape {
    fn mode(&self) -> BlockMode {
        BlockMode::Variable { max: 0 }
    }
    fn set_mode(&mut self, _: BlockMode) -> Result<(), DeviceError> {
        Err(DeviceError::NotReady)
    }
    fn is_write_protected(&self) -> bool {
        false
    }
    fn write_block(&mut self, _: &[u8]) -> Result<WriteOutcome, DeviceError> {
        Err(DeviceError::NotReady)
    }
    fn write_filemarks(&mut self, _: u32) -> Result<(), DeviceError> {
        Err(DeviceError::NotReady)
    }
    fn read_block(&mut self, _: &mut [u8]) -> Result<ReadOutcome, DeviceError> {
        Err(DeviceError::NotReady)
    }
    fn rewind(&mut self) -> Result<(), DeviceError> {
        Err(DeviceError::NotReady)
    }
    fn space_files(&mut self, _: i64) -> Result<(), DeviceError> {
        Err(DeviceError::NotReady)
    }
    fn space_blocks(&mut self, _: i64) -> Result<(), DeviceError> {
        Err(DeviceError::NotReady)
    }
    fn seek_end_of_data(&mut self) -> Result<(), DeviceError> {
        Err(DeviceError::NotReady)
    }
    fn position(&self) -> Option<Position> {
        None
    }
}

/// A drive of any backend.
pub type Drive = Box<dyn TapeDevice + Send>;

/// The library the configuration describes.
pub struct AnyLibrary {
    device: Device,
    cartridges: u32,
    block_size: u32,
    capacity: u64,
    early_warning: u64,
    change_command: Option<String>,
    loaded: Option<u32>,
    drive: Drive,
}

impl AnyLibrary {
    /// The library for a configuration. Nothing is opened until a cartridge is loaded.
    pub fn new(cfg: &Config) -> AnyLibrary {
        AnyLibrary {
            device: cfg.device.clone(),
            cartridges: cfg.cartridges,
            block_size: cfg.block_size,
            capacity: cfg.capacity,
            early_warning: cfg.early_warning,
            change_command: cfg.change_command.clone(),
            loaded: None,
            drive: Box::new(NoTape),
        }
    }

    /// A short name of the device for `tapepos` and messages.
    pub fn device_name(&self) -> String {
        match &self.device {
            Device::Simh(p) => format!("simh:{}", p.display()),
            Device::Vtape(p) => format!("vtape:{}", p.display()),
            Device::Tape(p) => p.display().to_string(),
        }
    }

    /// The path of cartridge `cart` for file-backed devices.
    pub fn cartridge_path(&self, cart: u32) -> Option<PathBuf> {
        match &self.device {
            Device::Simh(d) => Some(simh::cartridge_path(d, cart)),
            Device::Vtape(d) => Some(vtape::slot_path(d, cart)),
            Device::Tape(_) => None,
        }
    }

    /// Flush and close the drive.
    pub fn unload(&mut self) -> Result<(), DeviceError> {
        let r = self.drive.flush();
        self.drive = Box::new(NoTape);
        self.loaded = None;
        r
    }
}

impl Library for AnyLibrary {
    type Drive = Drive;

    fn cartridges(&self) -> u32 {
        self.cartridges
    }

    fn load(&mut self, cart: u32) -> Result<(), DeviceError> {
        if cart == 0 || cart > self.cartridges {
            return Err(DeviceError::NotReady);
        }
        if self.loaded == Some(cart) {
            return self.drive.rewind();
        }
        self.unload()?;
        let cap = (self.capacity > 0).then_some((self.capacity, self.early_warning));
        self.drive = match &self.device {
            Device::Simh(dir) => Box::new(simh::open_cartridge(dir, cart, self.block_size, cap)?),
            Device::Vtape(dir) => Box::new(vtape::VtapeDevice::open(
                &vtape::slot_path(dir, cart),
                self.block_size,
                cap,
            )?),
            Device::Tape(path) => {
                if let Some(cmd) = &self.change_command {
                    let cmd = cmd.replace("%c", &cart.to_string());
                    let ok = Command::new("sh")
                        .arg("-c")
                        .arg(&cmd)
                        .status()
                        .map(|s| s.success())
                        .unwrap_or(false);
                    if !ok {
                        return Err(DeviceError::Io("change-cartridge command failed"));
                    }
                }
                Box::new(st::StDevice::open(path, self.block_size)?)
            }
        };
        self.loaded = Some(cart);
        self.drive.rewind()
    }

    fn loaded(&self) -> Option<u32> {
        self.loaded
    }

    fn drive(&mut self) -> &mut Drive {
        &mut self.drive
    }
}
