package dev.tandem.cluster;

import dev.tandem.cluster.transport.AdvertChannel;
import dev.tandem.cluster.transport.AdvertReceiver;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * This node's end of the advert protocol: the UDP socket, adverts sent with this run's epoch and a growing
 * sequence, and received ones checked by an {@link AdvertReceiver}: everything that reaches the {@link Handler}
 * is authenticated, fresh, from a configured peer at its address and about a VIP this node has. On the cluster
 * loop only.
 */
final class AdvertEndpoint implements AutoCloseable {

    /** Told, on the cluster loop, of every advert that passed every check. */
    interface Handler {
        void advert(Advert advert, InetSocketAddress sender);
    }

    private final String node;
    private final Duration advertInterval;
    private final AdvertCodec codec;
    private final AdvertReceiver receiver;
    private final ClusterMetrics metrics;
    private final List<InetSocketAddress> peers;
    private final long epoch;
    private Handler handler = (a, s) -> { };
    private AdvertChannel channel;
    private long sequence;

    /** @param epoch what makes this run's adverts newer than any of an earlier run's: the boot count */
    AdvertEndpoint(String node, Duration advertInterval, AdvertCodec codec, AdvertReceiver receiver,
                   List<InetSocketAddress> peers, long epoch, ClusterMetrics metrics) {
        this.node = node;
        this.advertInterval = advertInterval;
        this.codec = codec;
        this.receiver = receiver;
        this.peers = List.copyOf(peers);
        this.epoch = epoch;
        this.metrics = metrics;
    }

    /** Binds the socket; adverts that pass every check go to {@code handler}. */
    void bind(EventLoopGroup group, Class<? extends DatagramChannel> type, InetSocketAddress local, Handler handler)
            throws IOException {
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
        Advert a = receiver.receive(content, sender);
        if (a != null) {
            handler.advert(a, sender);
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close();
        }
    }
}
