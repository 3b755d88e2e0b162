package dev.tandem.cluster.transport;

import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import dev.tandem.cluster.wire.Rejection;
import dev.tandem.cluster.wire.ReplayGuard;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a received packet into an advert this node may act on, or drops it: decoded with its MAC checked
 * ({@link AdvertCodec}), from a node of {@code cluster.nodes} other than this one, sent from the address
 * {@code cluster.nodes} gives that node, newer than anything accepted from it before ({@link ReplayGuard}), and
 * about a VIP this node has (or a {@link Advert#PRESENCE presence} advert, about none, which is returned too: it
 * is for the replay guard and the endpoint, never for an election). Every packet is counted in
 * {@code tandem_cluster_adverts_total} (direction {@code received}, or {@code rejected} by reason); rejections are
 * logged at WARN through a {@link RejectionLog}.
 *
 * <p>What the replay guard holds across restarts: a sender's epoch is its boot counter, which grows with every
 * start, so a receiver that has heard a sender once since its own start drops every packet of the sender's
 * earlier runs, and every packet of the current run it has seen (or an older one). Its high-water marks live in
 * memory, so a receiver that has just started and not yet heard the sender's current run accepts recorded packets
 * of the sender until it does. Every node makes sure it is heard: a master advertises every interval, and a node
 * that has sent nothing for a while (a backup) sends a presence advert, at once to a peer whose new run it hears.
 *
 * <p>Not thread-safe: used on the cluster's event loop.
 */
public final class AdvertReceiver {

    private static final Logger log = LoggerFactory.getLogger(AdvertReceiver.class);
    /** At most one log line per sender and reason this often. */
    public static final Duration LOG_EVERY = Duration.ofMinutes(1);
    /** The "VIP" of a node's heartbeat ({@code dev.tandem.cluster.dns.DnsSupervisor#HEARTBEAT}). */
    static final String HEARTBEAT = "@node:";

    private final AdvertCodec codec;
    private final String self;
    /** Every address each node may send from: the one its peers dial, and the one it binds when that differs. */
    private final Map<String, List<byte[]>> sources;
    private final Set<String> vips;
    private final ReplayGuard replay = new ReplayGuard();
    private final RejectionLog rejections;
    private final Counter accepted;
    private final Map<Rejection, Counter> rejected = new EnumMap<>(Rejection.class);

    /**
     * @param self    this node's name: adverts claiming it are dropped
     * @param nodes   every node's address as resolved at start, by name (this node's included)
     * @param vips    the VIPs this node has
     */
    public AdvertReceiver(AdvertCodec codec, String self, Map<String, InetAddress> nodes, Set<String> vips,
                          MeterRegistry meters, LongSupplier nanoClock) {
        this(codec, self, singleAddresses(nodes), vips, meters, nanoClock, true);
    }

    private static Map<String, List<InetAddress>> singleAddresses(Map<String, InetAddress> nodes) {
        Map<String, List<InetAddress>> m = new HashMap<>();
        nodes.forEach((name, a) -> m.put(name, List.of(a)));
        return m;
    }

    /**
     * @param nodes every node's addresses as resolved at start, by name: the one its peers dial first, then the
     *              one it binds when that differs (behind NAT a peer sends from either, depending on the path)
     * @param multi marks this form apart from the one-address constructor
     */
    public AdvertReceiver(AdvertCodec codec, String self, Map<String, List<InetAddress>> nodes, Set<String> vips,
                          MeterRegistry meters, LongSupplier nanoClock, boolean multi) {
        this.codec = codec;
        this.self = self;
        Map<String, List<byte[]>> s = new HashMap<>();
        nodes.forEach((name, addresses) -> s.put(name, addresses.stream().map(AdvertReceiver::canonical).toList()));
        this.sources = Map.copyOf(s);
        this.vips = Set.copyOf(vips);
        this.rejections = new RejectionLog(nanoClock, LOG_EVERY);
        this.accepted = Counter.builder("tandem_cluster_adverts_total").description("Cluster adverts")
                .tag("direction", "received").tag("reason", "none").register(meters);
        for (Rejection r : Rejection.values()) {
            rejected.put(r, Counter.builder("tandem_cluster_adverts_total").description("Cluster adverts")
                    .tag("direction", "rejected").tag("reason", r.label()).register(meters));
        }
    }

    /**
     * The advert in {@code content} when this node may act on it; null when it was dropped (counted and logged).
     * Leaves {@code content} to its caller to release.
     */
    public Advert receive(ByteBuf content, InetSocketAddress sender) {
        AdvertCodec.Decoded d = codec.decode(content);
        if (!d.ok()) {
            return reject(d.rejection(), sender, null);
        }
        Advert a = d.advert();
        List<byte[]> expected = sources.get(a.node());
        if (a.node().equals(self) || expected == null) {
            return reject(Rejection.UNKNOWN_NODE, sender, a.node().equals(self) ? "claims to be this node"
                    : "claims to be '" + a.node() + "', not in cluster.nodes");
        }
        InetAddress from = sender.getAddress();
        if (from == null || !matches(expected, canonical(from))) {
            return reject(Rejection.WRONG_SOURCE, sender, "claims to be '" + a.node() + "', whose address is "
                    + String.join(" or ", expected.stream().map(AdvertReceiver::address).toList()));
        }
        if (!replay.accept(a)) {
            return reject(Rejection.REPLAY, sender, "'" + a.node() + "' epoch " + a.epoch() + " sequence "
                    + a.sequence() + " is not newer than the last accepted");
        }
        // A presence advert is about no VIP; nor is a node's heartbeat (DNS failover), which names the nodes its
        // sender hears.
        if (!a.isPresence() && !vips.contains(a.vip()) && !a.vip().startsWith(HEARTBEAT)) {
            return reject(Rejection.UNKNOWN_VIP, sender, "'" + a.node() + "' about " + a.vip());
        }
        accepted.increment();
        return a;
    }

    private Advert reject(Rejection r, InetSocketAddress sender, String detail) {
        rejected.get(r).increment();
        String line = rejections.rejected(sender.getAddress() == null ? sender.getHostString()
                : sender.getAddress().getHostAddress(), r, detail);
        if (line != null) {
            log.warn(line);
        }
        return null;
    }

    private static boolean matches(List<byte[]> expected, byte[] from) {
        for (byte[] e : expected) {
            if (Arrays.equals(e, from)) {
                return true;
            }
        }
        return false;
    }

    /** The address's bytes, an IPv4-mapped IPv6 address as the IPv4 address it maps. */
    private static byte[] canonical(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 16) {
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                return Arrays.copyOfRange(b, 12, 16);
            }
        }
        return b;
    }

    private static String address(byte[] b) {
        try {
            return InetAddress.getByAddress(b).getHostAddress();
        } catch (UnknownHostException e) {
            return Arrays.toString(b);
        }
    }
}
