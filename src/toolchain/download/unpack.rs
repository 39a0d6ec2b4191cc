//! The blocking side of the streaming pipeline: reads the channel's chunks
//! through a hashing reader into the gzip decoder and the tar extractor, then
//! checks the digest. A zip archive is spooled to an anonymous temp file while
//! hashing, verified, then unpacked.

use std::io::{self, Read, Seek};

use bytes::{Buf, Bytes};
use tokio::sync::mpsc;

use super::checksum::HashingReader;
use super::ArchiveDownload;
use crate::error::{Error, Result};
use crate::toolchain::archive;
use crate::toolchain::platform::ArchiveKind;

/// Yields the channel's chunks as a byte stream. An `Err` item is returned
/// as a read error; a closed channel is the end of the stream.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// The blocking side: unpack while hashing, then check the digest.
pub(super) fn consume(rx: mpsc::Receiver<io::Result<Bytes>>, job: &ArchiveDownload) -> Result<()> {
    let reader = HashingReader::new(ChannelReader {
        rx,
        current: Bytes::new(),
    });
    match job.kind {
        ArchiveKind::TarGz => consume_tar_gz(reader, job),
        ArchiveKind::Zip => consume_zip(reader, job),
    }
}

fn consume_tar_gz(reader: HashingReader<ChannelReader>, job: &ArchiveDownload) -> Result<()> {
    let mut gz = flate2::read::GzDecoder::new(reader);
    let unpacked = archive::extract_tar(&mut gz, &job.dest, &job.url).and_then(|()| {
        // Read the gzip trailer too: it carries the CRC of the whole stream.
        io::copy(&mut gz, &mut io::sink())
            .map(drop)
            .map_err(|e| Error::ToolchainArchive {
                url: job.url.clone(),
                reason: format!("corrupt archive: {e}"),
            })
    });
    match unpacked {
        Ok(()) => verify(gz.into_inner(), job),
        // An unreadable archive is most likely not the published one: read
        // the rest and say so when the digest differs.
        Err(err @ Error::ToolchainArchive { .. }) => match verify(gz.into_inner(), job) {
            Err(mismatch @ Error::ChecksumMismatch { .. }) => Err(mismatch),
            _ => Err(err),
        },
        Err(err) => Err(err),
    }
}

fn consume_zip(mut reader: HashingReader<ChannelReader>, job: &ArchiveDownload) -> Result<()> {
    let spool_dir = job.dest.parent().unwrap_or(&job.dest);
    let mut spool = tempfile::tempfile_in(spool_dir)
        .map_err(|e| Error::io_at("create a temp file in", spool_dir, e))?;
    io::copy(&mut reader, &mut spool).map_err(|e| Error::ToolchainDownload {
        url: job.url.clone(),
        reason: e.to_string(),
    })?;
    verify(reader, job)?;
    spool
        .rewind()
        .map_err(|e| Error::io("rewind the downloaded archive", e))?;
    archive::extract_zip(io::BufReader::new(spool), &job.dest, &job.url)
}

/// Drains `reader` and compares its digest with the expected one.
fn verify(reader: HashingReader<ChannelReader>, job: &ArchiveDownload) -> Result<()> {
    let actual = reader.finish().map_err(|e| Error::ToolchainDownload {
        url: job.url.clone(),
        reason: e.to_string(),
    })?;
    if actual != job.sha256 {
        return Err(Error::ChecksumMismatch {
            url: job.url.clone(),
            expected: job.sha256.clone(),
            actual,
        });
    }
    Ok(())
}
