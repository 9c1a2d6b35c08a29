/// jemalloc instead of glibc's malloc. The server's requests run on a few executor threads and
/// its database work on a blocking pool whose threads come and go; glibc gives threads arenas
/// of their own and returns freed memory only from the top of each, so resident memory crept
/// up over a long soak. jemalloc's background thread returns pages freed a second ago
/// (README, Soak and Footprint, has the measurements).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Read by jemalloc at its first allocation: purge freed pages after 1 s, on a background
/// thread rather than in request paths.
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

fn main() -> std::process::ExitCode {
    tessera::cli::main()
}
