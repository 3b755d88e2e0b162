package dev.tandem.cluster;

import dev.tandem.cluster.transport.AdvertChannel;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import dev.tandem.cluster.wire.Rejection;
import dev.tandem.cluster.wire.ReplayGuard;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's end of the advert protocol: the UDP socket, the codec with the cluster key, the replay guard and
 * the counting of what is sent, accepted and rejected. Everything that reaches the {@link Handler} is
 * authenticated, fresh, from a configured peer and about a VIP this node has. On the cluster loop only.
 */
final class AdvertEndpoint implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdvertEndpoint.class);

    /** Told, on the cluster loop, of every advert that passed every check. */
    interface Handler {
        void advert(Advert advert, InetSocketAddress sender);
    }

    private final String node;
    private final Set<String> nodes;
    private final Duration advertInterval;
    private final AdvertCodec codec;
    private final ReplayGuard replay = new ReplayGuard();
    private final ClusterMetrics metrics;
    private final List<InetSocketAddress> peers;
    private final long epoch;
    private Predicate<String> knownVip = v -> false;
    private Handler handler = (a, s) -> { };
    private AdvertChannel channel;
    private long sequence;

    /**
     * @param nodes every node name of the cluster, this one included
     * @param epoch what makes this run's adverts newer than any of an earlier run's
     */
    AdvertEndpoint(String node, Set<String> nodes, Duration advertInterval, AdvertCodec codec, List<InetSocketAddress> peers,
                   long epoch, ClusterMetrics metrics) {
        this.node = node;
        this.nodes = Set.copyOf(nodes);
        this.advertInterval = advertInterval;
        this.codec = codec;
        this.peers = List.copyOf(peers);
        this.epoch = epoch;
        this.metrics = metrics;
    }

    /** Binds the socket; adverts about a VIP {@code knownVip} accepts go to {@code handler}. */
    void bind(EventLoopGroup group, Class<? extends DatagramChannel> type, InetSocketAddress local,
              Predicate<String> knownVip, Handler handler) throws IOException {
        this.knownVip = knownVip;
        this.handler = handler;
        this.channel = AdvertChannel.bind(group, type, local, this::received);
    }

    InetSocketAddress localAddress() {
        return channel.localAddress();
    }

    int peerCount() {
        return peers.size();
    }

    /**
     * A backup sends its first advert at the moment it takes a VIP over, when every millisecond is outage. The
     * first allocation from the default allocator costs about 100 ms once per process (class loading, the
     * allocator's JFR event types): pay it now, with a real advert encoded and thrown away.
     */
    void warmUp() {
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(AdvertCodec.MAX_LENGTH);
        try {
            codec.encode(new Advert(node, "warm-up", 1, 1, epoch, 0, 0), buf);
            codec.decode(buf);
        } finally {
            buf.release();
        }
    }

    /** Sends an advert about {@code vip} to every peer. */
    void send(String vip, int priority, int flags) {
        if (channel == null) {
            return;
        }
        Advert a = new Advert(node, vip, priority, (int) Math.max(1, advertInterval.toMillis()), epoch, ++sequence, flags);
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(AdvertCodec.MAX_LENGTH);
        try {
            codec.encode(a, buf);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        channel.send(buf, peers);
        metrics.sent();
    }

    private void received(ByteBuf content, InetSocketAddress sender) {
        AdvertCodec.Decoded d = codec.decode(content);
        if (!d.ok()) {
            reject(d.rejection(), sender);
            return;
        }
        Advert a = d.advert();
        if (a.node().equals(node) || !nodes.contains(a.node())) {
            reject(Rejection.UNKNOWN_NODE, sender);
            return;
        }
        if (!replay.accept(a)) {
            reject(Rejection.REPLAY, sender);
            return;
        }
        if (!knownVip.test(a.vip())) {
            reject(Rejection.UNKNOWN_VIP, sender);
            return;
        }
        metrics.accepted();
        handler.advert(a, sender);
    }

    private void reject(Rejection r, InetSocketAddress sender) {
        metrics.rejected(r);
        log.debug("advert from {} rejected: {}", sender, r.label());
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close();
        }
    }
}
