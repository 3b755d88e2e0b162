package dev.tandem.cluster.vip;

import dev.tandem.conf.VipConfig;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VIP driver of a Linux host: iproute2's {@code ip}, iputils' {@code arping}, and {@code python3} for IPv6
 * announcements.
 *
 * <p>IPv4: {@code ip addr add ADDR/PREFIX dev IF}; announced with {@code arping -U} (gratuitous request) and
 * {@code arping -A} (gratuitous reply), both, since some neighbours heed only one kind, one of each per
 * {@link #announce}, started 100 ms apart ({@code -c 1}: arping then waits a second for a reply that a gratuitous
 * ARP never gets, and sends nothing more). The caller repeats it (three a second apart, and a second round after a
 * delay, as keepalived does, for neighbours that missed the first). Not {@code -c 3}: such a round went on in
 * arping's own process, which a SIGSTOP of the node does not stop, and drew the clients back from the peer
 * that had taken over, for two seconds after the stop. A release or a handover ends an arping still running, so
 * that a node never claims an address it is giving away.
 *
 * <p>IPv6: added with {@code nodad}. Duplicate address detection would fail the address on the new holder
 * whenever the old one still has it (a handover, a master stepping aside, a partition that heals), and even when
 * it succeeds the address is unusable for a second, so the announcement could not be sent from it. The kernel
 * announces nothing for a {@code nodad} address (not even with {@code ndisc_notify}; seen in the lab), so the
 * announcement is explicit: unsolicited neighbour advertisements to all nodes with the override flag (RFC 4861,
 * 7.2.6), one per {@link #announce}, like arping's, sent from a raw ICMPv6 socket by a short Python program
 * ({@code unsolicited-na.py}, run with {@code python3 -c}). Debian ships no tool that sends them ({@code ndisc6}'s
 * package has no {@code ndsend}), and Java opens no raw socket.
 *
 * <p>Handover (IPv4; also a master stepping aside for a preferred one), with nftables ({@code nft}), one table per
 * VIP and family named {@code tandem_ADDRESS}:
 * <ul>
 * <li>{@link #withdraw}, on the old holder: table {@code arp}, ARP requests for the VIP dropped on input, so that
 *     only the new holder answers a neighbour that asks (both would, and the one answering first would win).</li>
 * <li>{@link #forward}, on the new holder: table {@code ip}. A connection opened to the old holder an instant
 *     before the client's ARP entry moved sends its next segments to this host, whose kernel knows no such
 *     connection and resets it. So, for the drain: connections whose SYN this host sees (to the VIP, or from
 *     it) go into a set, and so do those it already has (a node taking back a VIP it still drains); any other
 *     TCP segment for the VIP is duplicated to the old holder's address ({@code dup to OLD device IF}: the
 *     same packet, sent to the old holder's MAC, with TTL 1 so that it is never passed on again) and dropped
 *     here. Made in steps (the set and what fills it, the connections already here, then the passing on), so
 *     that no connection of this host's own is passed on.</li>
 * </ul>
 * Without {@code nft} both fail (counted and logged by the controller) and the handover goes on without them.
 * IPv6 VIPs get neither: neighbour discovery and forwarding are not filtered.
 */
public final class IpCommandDriver implements VipDriver {

    private static final Logger log = LoggerFactory.getLogger(IpCommandDriver.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** Announcements per {@link #announce}: one; the caller spaces out the round. */
    private static final int ARP_COUNT = 1;
    /** The program that sends unsolicited neighbour advertisements: {@code python3 -c IT ADDR IFACE COUNT}. */
    static final String UNSOLICITED_NA = program("unsolicited-na.py");

    private static final Pattern COUNTER = Pattern.compile("counter packets (\\d+)");
    private static final Pattern IFACE = Pattern.compile("[A-Za-z0-9_.:@-]{1,15}");
    /**
     * {@code /proc/net/tcp}'s states of sockets that have no connection to keep: TIME_WAIT, CLOSE, LISTEN. (A
     * server that closes first, as with {@code Connection: close}, has thousands in TIME_WAIT; owning their
     * addresses and ports would only catch a new connection of the same client, opened to the old holder.)
     */
    private static final Set<String> NO_CONNECTION = Set.of("06", "07", "0A");
    /** Elements added to the set per nft run: one argument of a command may be 128 KiB at most. */
    private static final int ELEMENTS_PER_RUN = 2000;

    private final CommandRunner runner;
    private final Path proc;
    private final Function<String, Optional<String>> locate;
    /** VIPs whose neighbour requests this driver stopped answering ({@link #withdraw}). */
    private final Set<String> withdrawn = ConcurrentHashMap.newKeySet();
    /** The arping processes of the round under way, by VIP. */
    private final Map<String, List<Process>> rounds = new ConcurrentHashMap<>();
    private final Set<Process> stopped = ConcurrentHashMap.newKeySet();
    /** What each process of a round runs, for the log. */
    private final Map<Process, String> labels = new ConcurrentHashMap<>();
    private final TakeoverHelper helper;
    /**
     * VIPs whose address the helper added together with the first gratuitous ARP ({@code takeover}): the round that
     * follows does not ask for that ARP again, which would put a second round trip before arping's round.
     */
    private final Set<String> announcedWithTheAdd = ConcurrentHashMap.newKeySet();
    /**
     * How many times {@link #stopAnnouncing} was called, by VIP: called from the cluster's loop while an add runs on
     * the VIP's thread (a step-aside, a handover), it must keep the add's gratuitous ARP from going out, as it keeps a
     * round's.
     */
    private final Map<String, Long> stops = new ConcurrentHashMap<>();

    public IpCommandDriver(CommandRunner runner) {
        this(runner, Path.of("/proc"), IpCommandDriver::onPath, null);
    }

    /**
     * The driver of a running node: {@code runner}'s commands, and a {@link TakeoverHelper} that adds an IPv4 VIP
     * and sends its first gratuitous ARP without starting a process, started by {@link #prepare}.
     */
    public static IpCommandDriver withTakeoverHelper(CommandRunner runner) {
        return new IpCommandDriver(runner, Path.of("/proc"), IpCommandDriver::onPath,
                new TakeoverHelper(TakeoverHelper.python(), HELPER_TIMEOUT));
    }

    /** How long the takeover helper may take to answer before the command runs the slow way. */
    static final Duration HELPER_TIMEOUT = Duration.ofSeconds(1);

    IpCommandDriver(CommandRunner runner, Path proc, Function<String, Optional<String>> locate) {
        this(runner, proc, locate, null);
    }

    /**
     * @param proc   where procfs is ({@code /proc}: its {@code sys} for the interfaces' settings, its {@code net}
     *               for the connections on a VIP)
     * @param locate a tool's path by its name ({@code nft}), or empty when it is not installed
     * @param helper adds IPv4 addresses and sends the first gratuitous ARP of a round, when it can; null: none
     */
    IpCommandDriver(CommandRunner runner, Path proc, Function<String, Optional<String>> locate, TakeoverHelper helper) {
        this.runner = runner;
        this.proc = proc;
        this.locate = locate;
        this.helper = helper;
    }

    @Override
    public void prepare(VipConfig vip) {
        if (helper != null) {
            helper.prepare();
        }
        if (!v6(vip)) {
            // Now rather than at the takeover, where it was a read and a write of procfs before the first ARP.
            announceFromThePrimaryAddress(vip.iface());
        }
    }

    /** Whether the takeover helper may be asked about {@code vip}: IPv4, an interface name that is one word. */
    private boolean helped(VipConfig vip) {
        return helper != null && !v6(vip) && IFACE.matcher(vip.iface()).matches();
    }

    /** Where {@code tool} is on the PATH, or in the sbin directories a service's PATH may lack. */
    static Optional<String> onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Optional.of(Path.of(dir, tool).toString());
            }
        }
        return Optional.empty();
    }

    static String program(String name) {
        try (var in = IpCommandDriver.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the classpath");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static boolean v6(VipConfig vip) {
        return vip.address().indexOf(':') >= 0;
    }

    static String cidr(VipConfig vip) {
        return vip.address() + "/" + vip.prefixLength();
    }

    @Override
    public void add(VipConfig vip) throws IOException {
        long stopsBefore = stops.getOrDefault(vip.address(), 0L);
        if (withdrawn.contains(vip.address())) {
            // Held again (resumed, then preempted) before the drain ended: answer for it again first.
            nft("answer for " + vip.address() + " again", deleteTable("arp", vip));
            withdrawn.remove(vip.address());
        }
        announcedWithTheAdd.remove(vip.address());
        boolean added = helped(vip) && addedByTheHelper(vip, stopsBefore);
        if (!v6(vip)) {
            // Set at start already (prepare); looked at again after the helper's gratuitous ARP, not before it.
            announceFromThePrimaryAddress(vip.iface());
        }
        if (added) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("ip"));
        if (v6(vip)) {
            cmd.add("-6");
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
     * Added and announced in one round trip to the helper: the first gratuitous ARP goes out with the address. Added
     * only, when the announcements were stopped since this add began ({@code stopsBefore}): this node steps aside or
     * hands the address over, and the ARP would draw the neighbours back from the peer that takes it. False: the
     * helper did not add it, and {@code ip} must.
     */
    private boolean addedByTheHelper(VipConfig vip, long stopsBefore) {
        boolean stopped = stops.getOrDefault(vip.address(), 0L) != stopsBefore;
        String r = helper.ask((stopped ? "add " : "takeover ") + vip.address() + " " + vip.prefixLength() + " "
                + vip.iface());
        if ("ok".equals(r)) {
            if (!stopped) {
                announcedWithTheAdd.add(vip.address());
            }
            return true;
        }
        if (r != null && r.startsWith("added")) {
            log.warn("VIP {}: added, but the takeover helper could not announce it ({}): arping's round will",
                    vip.address(), r.substring("added".length()).trim());
            return true;
        }
        if (r != null) {
            log.warn("takeover helper: add {}: {}", vip.address(), r);
        }
        return false;
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
        Path knob = proc.resolve("sys/net/ipv4/conf").resolve(iface).resolve("arp_announce");
        try {
            if (Files.exists(knob) && Integer.parseInt(Files.readString(knob).trim()) < 2) {
                Files.writeString(knob, "2\n");
            }
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot set arp_announce on {} ({}): after a handover, clients may be drawn back to the "
                    + "old holder until it releases the VIP", iface, e.toString());
        }
    }

    @Override
    public void remove(VipConfig vip) throws IOException {
        announcedWithTheAdd.remove(vip.address());
        stopAnnouncing(vip);
        List<String> cmd = List.of("ip", "addr", "del", cidr(vip), "dev", vip.iface());
        CommandRunner.Result r = runner.run(cmd, TIMEOUT);
        if (!r.ok() && present(vip)) {
            throw new IOException(String.join(" ", cmd) + ": exit " + r.exit() + ": " + r.output());
        }
        removeRules(vip);
    }

    @Override
    public void withdraw(VipConfig vip) throws IOException {
        if (v6(vip)) {
            return;
        }
        String t = table(vip);
        List<String> script = new ArrayList<>(deleteTable("arp", vip));
        script.addAll(List.of(
                "table arp " + t + " {",
                "  chain quiet {",
                "    type filter hook input priority filter; policy accept;",
                "    arp operation request arp daddr ip " + vip.address() + " drop",
                "  }",
                "}"));
        nft("withdraw " + vip.address(), script);
        withdrawn.add(vip.address());
    }

    @Override
    public void forward(VipConfig vip, InetAddress oldHolder) throws IOException {
        if (v6(vip) || !(oldHolder instanceof Inet4Address)) {
            throw new IOException("passing segments on to the old holder is done for IPv4 only (VIP " + vip.address()
                    + ", old holder " + oldHolder.getHostAddress() + ")");
        }
        String t = table(vip);
        String in = "iifname " + iface(vip) + " ip daddr " + vip.address();
        String what = "forward strays of " + vip.address() + " to " + oldHolder.getHostAddress();
        // First the set and what fills it: every connection this host sees open from now on is its own.
        List<String> script = new ArrayList<>(deleteTable("ip", vip));
        script.addAll(List.of(
                "table ip " + t + " {",
                // Emptied with the table; a connection whose SYN finds the set full is passed on to the old
                // holder, which still listens: it is served, and only the drain waits for it.
                "  set owned { type ipv4_addr . inet_service . inet_service; flags dynamic; size 1048576; }",
                "  chain strays {",
                "    type filter hook prerouting priority raw; policy accept;",
                "    " + in + " tcp flags & (syn | ack) == syn add @owned { ip saddr . tcp sport . tcp dport } accept",
                "  }",
                // Connections this host opens from the VIP (to a backend on the VIP's subnet) are its own too.
                "  chain own {",
                "    type filter hook output priority raw; policy accept;",
                "    ip saddr " + vip.address()
                        + " tcp flags & (syn | ack) == syn add @owned { ip daddr . tcp dport . tcp sport }",
                "  }",
                "}"));
        nft(what, script);
        // Then the connections it has already: a node that takes back a VIP it still drains keeps serving them.
        List<String> mine = connections(vip.address());
        for (int i = 0; i < mine.size(); i += ELEMENTS_PER_RUN) {
            nft(what, List.of("add element ip " + t + " owned { "
                    + String.join(", ", mine.subList(i, Math.min(mine.size(), i + ELEMENTS_PER_RUN))) + " }"));
        }
        // Only now is anything passed on. A segment passed on leaves with TTL 1, and one that arrives so is never
        // passed on again: while two nodes pass strays to each other (a VIP taken back from a node that passes
        // the taker's own connections on to it, for the moment until it hears of it), none goes round.
        nft(what, List.of(
                "add rule ip " + t + " strays " + in + " ip saddr . tcp sport . tcp dport @owned accept",
                "add rule ip " + t + " strays " + in + " meta l4proto tcp ip ttl != 1 counter ip ttl set 1 dup to "
                        + oldHolder.getHostAddress() + " device " + iface(vip) + " drop"));
        if (!mine.isEmpty()) {
            log.info("VIP {}: {} connection(s) already here stay here", vip.address(), mine.size());
        }
    }

    /**
     * This host's TCP connections on {@code vip} (in any state but those of {@link #NO_CONNECTION}), as elements
     * of the {@code owned} set: {@code PEER . PEER_PORT . LOCAL_PORT}. Read from {@code /proc/net/tcp} and
     * {@code tcp6} (a dual-stack socket has the VIP as {@code ::ffff:A.B.C.D}).
     */
    List<String> connections(String vip) throws IOException {
        byte[] wanted = InetAddress.getByName(vip).getAddress();
        List<String> found = new ArrayList<>();
        for (String table : List.of("tcp", "tcp6")) {
            Path file = proc.resolve("net").resolve(table);
            if (!Files.exists(file)) {
                continue;
            }
            try (var lines = Files.lines(file)) {
                lines.skip(1).forEach(line -> {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 4 || NO_CONNECTION.contains(f[3])) {
                        return;
                    }
                    byte[] local = v4(f[1]);
                    byte[] peer = v4(f[2]);
                    if (local != null && peer != null && Arrays.equals(local, wanted)) {
                        try {
                            found.add(InetAddress.getByAddress(peer).getHostAddress() + " . " + port(f[2]) + " . "
                                    + port(f[1]));
                        } catch (IOException e) {
                            // four bytes are always an address
                        }
                    }
                });
            }
        }
        return found;
    }

    /** The IPv4 address of a {@code /proc/net/tcp[6]} {@code ADDR:PORT} (words in host byte order), or null. */
    private static byte[] v4(String addressAndPort) {
        int colon = addressAndPort.indexOf(':');
        String hex = colon < 0 ? "" : addressAndPort.substring(0, colon);
        if (hex.length() != 8 && hex.length() != 32) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.allocate(hex.length() / 2).order(ByteOrder.nativeOrder());
        for (int i = 0; i < hex.length(); i += 8) {
            bytes.putInt((int) Long.parseLong(hex.substring(i, i + 8), 16));
        }
        byte[] a = bytes.array();
        if (a.length == 4) {
            return a;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return null;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff ? Arrays.copyOfRange(a, 12, 16) : null;
    }

    private static int port(String addressAndPort) {
        return Integer.parseInt(addressAndPort.substring(addressAndPort.indexOf(':') + 1), 16);
    }

    @Override
    public long stopForwarding(VipConfig vip) throws IOException {
        Optional<String> nft = locate.apply("nft");
        if (nft.isEmpty()) {
            return -1;
        }
        long passed = -1;
        try {
            // The chain, not the table: the table lists every connection in the set.
            CommandRunner.Result list = runner.run(List.of(nft.get(), "list", "chain", "ip", table(vip), "strays"),
                    TIMEOUT);
            Matcher m = COUNTER.matcher(list.output());
            if (list.ok() && m.find()) {
                passed = Long.parseLong(m.group(1));
            }
        } catch (IOException e) {
            // Only the count is lost: the forwarding ends all the same.
            log.warn("VIP {}: cannot count the segments passed on: {}", vip.address(), e.getMessage());
        }
        nft("stop forwarding " + vip.address(), deleteTable("ip", vip));
        return passed;
    }

    @Override
    public void removeRules(VipConfig vip) throws IOException {
        if (locate.apply("nft").isEmpty()) {
            // No nft, no rule of ours: nothing to remove.
            return;
        }
        List<String> script = new ArrayList<>(deleteTable("ip", vip));
        script.addAll(deleteTable("arp", vip));
        nft("remove the rules of " + vip.address(), script);
        withdrawn.remove(vip.address());
    }

    /** nft's name for the VIP's tables (one per family). */
    static String table(VipConfig vip) {
        return "tandem_" + vip.address().replaceAll("[^0-9A-Za-z]", "_");
    }

    /** Deletes the table if it is there: adding a table that exists is no error, so add, then delete. */
    private static List<String> deleteTable(String family, VipConfig vip) {
        return List.of("table " + family + " " + table(vip), "delete table " + family + " " + table(vip));
    }

    private static String iface(VipConfig vip) throws IOException {
        if (!IFACE.matcher(vip.iface()).matches()) {
            throw new IOException("interface name not fit for an nft rule: " + vip.iface());
        }
        return "\"" + vip.iface() + "\"";
    }

    /** Runs {@code script} as one nft transaction: all of it takes effect, or none. */
    private void nft(String what, List<String> script) throws IOException {
        String nft = locate.apply("nft").orElseThrow(() -> new IOException(
                "cannot " + what + ": nft not found (install nftables)"));
        CommandRunner.Result r = runner.run(List.of(nft, String.join("\n", script)), TIMEOUT);
        if (!r.ok()) {
            throw new IOException("cannot " + what + ": nft: exit " + r.exit() + ": " + r.output());
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
        stopAnnouncing(vip);
        List<Process> round = new ArrayList<>();
        rounds.put(vip.address(), round);
        try {
            if (v6(vip)) {
                start(vip, round, unsolicitedNa(vip));
            } else {
                boolean sent = announcedWithTheAdd.remove(vip.address());
                if (helped(vip) && !sent && rounds.get(vip.address()) == round) {
                    // At once, from a process that runs already; arping's, which repeat it, start later.
                    helper.call("garp " + vip.address() + " " + vip.iface());
                }
                start(vip, round, arping("-U", vip));
                // The replies 100 ms after the requests: a neighbour that missed one may catch the other.
                Thread.sleep(100);
                start(vip, round, arping("-A", vip));
            }
            // A broken interface (a link down) or a missing tool fails at once; say so now, and the controller
            // retries, rather than in a log line later.
            Thread.sleep(v6(vip) ? 150 : 50);
            synchronized (round) {
                // A round stopped meanwhile (this node stepped aside) ended its own processes: their exit says
                // nothing of the link. (Asked of each process instead, the answer raced with its exit callback.)
                if (rounds.get(vip.address()) != round) {
                    return;
                }
                for (Process p : round) {
                    if (!p.isAlive() && p.exitValue() > 1) {
                        throw new IOException(label(p) + ": exit " + p.exitValue());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopAnnouncing(vip);
        }
    }

    /**
     * Starts one arping of {@code round}, unless the round was stopped; one stopped while the process started
     * ends it at once. (Missed, such a process went on announcing the address for two seconds from a node that
     * had stepped aside, and drew clients back to it mid-connection: they were reset.)
     */
    private void start(VipConfig vip, List<Process> round, List<String> cmd) throws IOException {
        if (rounds.get(vip.address()) != round) {
            return;
        }
        Process p;
        try {
            p = runner.start(cmd);
        } catch (IOException e) {
            throw new IOException(label(cmd) + ": " + e.getMessage(), e);
        }
        labels.put(p, label(cmd));
        synchronized (round) {
            round.add(p);
            // stopAnnouncing takes the round out of the map first, then ends what the round holds: this
            // process is ended by one of the two.
            if (rounds.get(vip.address()) != round) {
                stopped.add(p);
                p.destroy();
            }
        }
        p.onExit().thenAccept(done -> {
            // arping exits 1 when no reply came, which is what gratuitous ARP expects; 2 and up are errors.
            boolean ended = stopped.remove(done);
            if (done.exitValue() > 1 && !ended) {
                log.warn("{}: exit {}", label(cmd), done.exitValue());
            }
        });
    }

    @Override
    public void stopAnnouncing(VipConfig vip) {
        stops.merge(vip.address(), 1L, Long::sum);
        List<Process> round = rounds.remove(vip.address());
        if (round != null) {
            synchronized (round) {
                for (Process p : round) {
                    labels.remove(p);
                    if (p.isAlive()) {
                        stopped.add(p);
                        p.destroy();
                    }
                }
            }
        }
    }

    /** A command as the log shows it: a program given inline ({@code -c}) by its first line. */
    static String label(List<String> cmd) {
        return cmd.stream().map(a -> a.equals(UNSOLICITED_NA) ? "unsolicited-na.py" : a)
                .reduce((a, b) -> a + " " + b).orElse("");
    }

    private String label(Process p) {
        return labels.getOrDefault(p, "announcement");
    }

    static List<String> unsolicitedNa(VipConfig vip) {
        return List.of("python3", "-c", UNSOLICITED_NA, vip.address(), vip.iface(), Integer.toString(ARP_COUNT));
    }

    private static List<String> arping(String mode, VipConfig vip) {
        return List.of("arping", "-q", mode, "-c", Integer.toString(ARP_COUNT), "-I", vip.iface(), vip.address());
    }
}
