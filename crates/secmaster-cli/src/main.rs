//! The `secmaster` command line (demo only until its issue lands).

fn main() {
    let master = secmaster_core::SecurityMaster::build(secmaster_core::sample::trail())
        .expect("the sample trail is well typed");
    #[allow(clippy::print_stdout)] // main prints
    {
        println!("{}", master.table());
    }
}
