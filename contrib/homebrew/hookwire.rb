# Homebrew formula for hookwire (macOS and Linuxbrew).
#
# Written to the conventions of Homebrew's Formula Cookbook; it cannot be
# run on the Linux machines this project is tested on, so it has not been
# run: the url and sha256 are placeholders for the release tarball.  The
# build is the portable one (make PORTABLE=1: POSIX and what macOS offers,
# no futex, no inotify, no SSE; hookwire(8), PORTABILITY).  `brew services
# start hookwire` runs the supervisor in the foreground under launchd, as
# contrib/launchd/com.hookwire.pipeline.plist does by hand.
class Hookwire < Formula
  desc "Watch Claude Code sessions live: hook events to a web dashboard"
  homepage "https://github.com/hookwire/hookwire"
  url "https://github.com/hookwire/hookwire/archive/refs/tags/v0.1.0.tar.gz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "MIT"
  head "https://github.com/hookwire/hookwire.git", branch: "main"

  depends_on "pkgconf" => :build
  depends_on "hiredis"
  depends_on "json-c"
  depends_on "libevent"
  depends_on "libyaml"
  depends_on "openssl@3"
  depends_on "pcre2"
  depends_on "xxhash"

  def install
    system "make", "PORTABLE=1", "PREFIX=#{prefix}", "MANDIR=#{man}",
           "DATADIR=#{pkgshare}", "DOCDIR=#{doc}", "SYSTEMD_USERDIR=#{lib}/systemd/user",
           "bins"
    system "make", "PORTABLE=1", "PREFIX=#{prefix}", "MANDIR=#{man}",
           "DATADIR=#{pkgshare}", "DOCDIR=#{doc}", "SYSTEMD_USERDIR=#{lib}/systemd/user",
           "install"
  end

  def caveats
    <<~EOS
      Register the hook for every Claude Code event (~/.claude/settings.json):
        hook-capture install
      Start the pipeline and print the dashboard URL:
        hookwire start && hookwire status
    EOS
  end

  service do
    run [opt_bin/"hookwire", "run"]
    keep_alive true
    log_path var/"log/hookwire.log"
    error_log_path var/"log/hookwire.log"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/event-tail -V")
    # a hook with no router anywhere: spooled, and hook-capture still exits 0
    ENV["HOOKWIRE_RUNDIR"] = testpath/"run"
    ENV["HOOKWIRE_STATEDIR"] = testpath/"state"
    pipe_output("#{bin}/hook-capture", '{"hook_event_name":"SessionStart","session_id":"s"}', 0)
    assert_predicate testpath/"state/spool/new", :directory?
    refute_empty (testpath/"state/spool/new").children
  end
end
