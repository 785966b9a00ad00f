//! `echo_supervisord_conf`: print the sample configuration file.

fn main() {
    print!("{}", include_str!("../../conf/supervisord.conf"));
}
