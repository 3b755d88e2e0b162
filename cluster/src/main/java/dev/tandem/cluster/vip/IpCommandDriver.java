package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VIP driver of a Linux host: iproute2's {@code ip} and iputils' {@code arping}.
 *
 * <p>IPv4: {@code ip addr add ADDR/PREFIX dev IF}; announced with {@code arping -U} (gratuitous request) and
 * {@code arping -A} (gratuitous reply), both, since some neighbours heed only one kind, three of each one
 * second apart, the two started 100 ms apart. The round runs in the background: the controller's thread is
 * free at once (a release must not wait two seconds behind it), and a release or a handover ends it, so
 * that a node never claims an address it is giving away. The caller runs a second round after a delay, as keepalived
 * does, for neighbours that missed the first.
 *
 * <p>IPv6: added with {@code nodad}, since during a handover the old holder still has the address and duplicate
 * address detection would disable it on the new one. The announcement is the kernel's: with
 * {@code net.ipv6.conf.IF.ndisc_notify = 1} it sends an unsolicited neighbour advertisement with the override
 * flag when an address finishes (here: skips) duplicate address detection. That needs no extra package (the
 * sysctl is written to /proc, not through a tool); its limit is one advertisement per add, so a later round
 * does nothing for IPv6.
 */
public final class IpCommandDriver implements VipDriver {

    private static final Logger log = LoggerFactory.getLogger(IpCommandDriver.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final int ARP_COUNT = 3;

    private final CommandRunner runner;
    private final Path procSys;
    /** The arping processes of the round under way, by VIP. */
    private final Map<String, List<Process>> rounds = new ConcurrentHashMap<>();
    private final Set<Process> stopped = ConcurrentHashMap.newKeySet();

    public IpCommandDriver(CommandRunner runner) {
        this(runner, Path.of("/proc/sys"));
    }

    IpCommandDriver(CommandRunner runner, Path procSys) {
        this.runner = runner;
        this.procSys = procSys;
    }

    static boolean v6(VipConfig vip) {
        return vip.address().indexOf(':') >= 0;
    }

    static String cidr(VipConfig vip) {
        return vip.address() + "/" + vip.prefixLength();
    }

    @Override
    public void add(VipConfig vip) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        if (v6(vip)) {
            enableUnsolicitedNa(vip.iface());
            cmd.add("-6");
        } else {
            announceFromThePrimaryAddress(vip.iface());
        }
        cmd.addAll(List.of("addr", "add", cidr(vip), "dev", vip.iface()));
        if (v6(vip)) {
            cmd.add("nodad");
        }
        CommandRunner.Result r = runner.run(cmd, TIMEOUT);
        // "already assigned" is success; any other failure is one only if the address is not there after it.
        if (!r.ok() && !present(vip)) {
            throw new IOException(String.join(" ", cmd) + ": exit " + r.exit() + ": " + r.output());
        }
    }

    /**
     * {@code net.ipv4.conf.IF.arp_announce = 2}: the kernel's own ARP requests (resolving a client it answers)
     * carry the interface's primary address, never the VIP. Otherwise a node that still has the VIP (the old
     * holder draining after a handover, or one killed with the address left behind) tells every client it
     * resolves that the VIP is at its MAC, and pulls them back from the new holder: in the lab that flipped
     * clients between the two nodes for seconds and reset connections. The gratuitous ARP that moves a VIP
     * is arping's, which this setting does not touch. It is what keepalived's documentation asks of LVS hosts.
     */
    private void announceFromThePrimaryAddress(String iface) {
        Path knob = procSys.resolve("net/ipv4/conf").resolve(iface).resolve("arp_announce");
        try {
            if (Files.exists(knob) && Integer.parseInt(Files.readString(knob).trim()) < 2) {
                Files.writeString(knob, "2\n");
            }
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot set arp_announce on {} ({}): after a handover, clients may be drawn back to the "
                    + "old holder until it releases the VIP", iface, e.toString());
        }
    }

    private void enableUnsolicitedNa(String iface) {
        Path knob = procSys.resolve("net/ipv6/conf").resolve(iface).resolve("ndisc_notify");
        try {
            Files.writeString(knob, "1\n");
        } catch (IOException e) {
            log.warn("cannot enable unsolicited neighbour advertisements on {} ({}): neighbours learn the new "
                    + "holder only when their cache entries expire", iface, e.toString());
        }
    }

    @Override
    public void remove(VipConfig vip) throws IOException {
        stopAnnouncing(vip);
        List<String> cmd = List.of("ip", "addr", "del", cidr(vip), "dev", vip.iface());
        CommandRunner.Result r = runner.run(cmd, TIMEOUT);
        if (!r.ok() && present(vip)) {
            throw new IOException(String.join(" ", cmd) + ": exit " + r.exit() + ": " + r.output());
        }
    }

    @Override
    public boolean present(VipConfig vip) throws IOException {
        List<String> cmd = List.of("ip", "-o", "addr", "show", "dev", vip.iface());
        CommandRunner.Result r = runner.run(cmd, TIMEOUT);
        if (!r.ok()) {
            throw new IOException(String.join(" ", cmd) + ": exit " + r.exit() + ": " + r.output());
        }
        return listed(r.output(), vip.address());
    }

    /** Whether {@code ip -o addr show} output lists {@code address} (IPv6 compared as addresses, not text). */
    static boolean listed(String output, String address) {
        InetAddress wanted = literal(address);
        for (String line : output.split("\n")) {
            String[] f = line.trim().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("inet") || f[i].equals("inet6")) {
                    String a = f[i + 1];
                    int slash = a.indexOf('/');
                    String bare = slash < 0 ? a : a.substring(0, slash);
                    if (bare.equals(address) || wanted != null && wanted.equals(literal(bare))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static InetAddress literal(String s) {
        if (!s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            return null;
        }
        try {
            return InetAddress.getByName(s);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void announce(VipConfig vip) throws IOException {
        if (v6(vip)) {
            return;
        }
        stopAnnouncing(vip);
        List<Process> round = new ArrayList<>();
        rounds.put(vip.address(), round);
        try {
            start(round, arping("-U", vip));
            // The replies 100 ms after the requests: a neighbour that missed one may catch the other.
            Thread.sleep(100);
            start(round, arping("-A", vip));
            // A broken interface or a missing arping fails at once; say so now, not in a log line later.
            Thread.sleep(50);
            for (Process p : List.copyOf(round)) {
                if (!p.isAlive() && p.exitValue() > 1) {
                    throw new IOException(String.join(" ", p.info().arguments().map(List::of).orElse(List.of("arping")))
                            + ": exit " + p.exitValue());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopAnnouncing(vip);
        }
    }

    private void start(List<Process> round, List<String> cmd) throws IOException {
        Process p = runner.start(cmd);
        synchronized (round) {
            round.add(p);
        }
        p.onExit().thenAccept(done -> {
            // arping exits 1 when no reply came, which is what gratuitous ARP expects; 2 and up are errors.
            boolean ended = stopped.remove(done);
            if (done.exitValue() > 1 && !ended) {
                log.warn("{}: exit {}", String.join(" ", cmd), done.exitValue());
            }
        });
    }

    @Override
    public void stopAnnouncing(VipConfig vip) {
        List<Process> round = rounds.remove(vip.address());
        if (round != null) {
            synchronized (round) {
                for (Process p : round) {
                    if (p.isAlive()) {
                        stopped.add(p);
                        p.destroy();
                    }
                }
            }
        }
    }

    private static List<String> arping(String mode, VipConfig vip) {
        return List.of("arping", "-q", mode, "-c", Integer.toString(ARP_COUNT), "-I", vip.iface(), vip.address());
    }
}
