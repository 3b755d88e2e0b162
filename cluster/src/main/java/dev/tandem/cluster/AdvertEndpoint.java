package dev.tandem.cluster;

import dev.tandem.cluster.transport.AdvertChannel;
import dev.tandem.cluster.transport.AdvertReceiver;
import dev.tandem.cluster.transport.PresenceSchedule;
import dev.tandem.cluster.wire.Advert;
import dev.tandem.cluster.wire.AdvertCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * This node's end of the advert protocol: the UDP socket, adverts sent with this run's epoch and a growing
 * sequence, and received ones checked by an {@link AdvertReceiver}: everything that reaches the {@link Handler}
 * is authenticated, fresh, from a configured peer at its address and about a VIP this node has. On the cluster
 * loop only.
 *
 * <p>It also makes sure the peers' replay guards hold this node's current run, whatever its elections say: a
 * presence advert at the start, after {@link PresenceSchedule#period} without any other packet (a backup), and
 * at once on hearing a peer's new run ({@link PresenceSchedule}). Presence adverts received count for the same
 * and go no further: the {@link Handler} never sees one.
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
    private final LongSupplier nanoClock;
    private final PresenceSchedule presence;
    private Handler handler = (a, s) -> { };
    private AdvertChannel channel;
    private long sequence;
    /** Set by {@link #startPresence}, on the loop. */
    private ClusterLoop loop;
    private volatile ScheduledFuture<?> presenceTimer;

    /** @param epoch what makes this run's adverts newer than any of an earlier run's: the boot count */
    AdvertEndpoint(String node, Duration advertInterval, AdvertCodec codec, AdvertReceiver receiver,
                   List<InetSocketAddress> peers, long epoch, ClusterMetrics metrics, LongSupplier nanoClock) {
        this.node = node;
        this.advertInterval = advertInterval;
        this.codec = codec;
        this.receiver = receiver;
        this.peers = List.copyOf(peers);
        this.epoch = epoch;
        this.metrics = metrics;
        this.nanoClock = nanoClock;
        this.presence = new PresenceSchedule(PresenceSchedule.period(advertInterval));
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

    /**
     * On the loop, once bound: the first presence advert now, the next ones as {@link PresenceSchedule} says.
     */
    void startPresence(ClusterLoop loop) {
        this.loop = loop;
        presence.start(nanoClock.getAsLong());
        presenceDue();
    }

    /** Sends an advert about {@code vip} to every peer. */
    void send(String vip, int priority, int flags) {
        send(new Advert(node, vip, priority, intervalMillis(), epoch, ++sequence, flags));
    }

    private int intervalMillis() {
        return (int) Math.max(1, advertInterval.toMillis());
    }

    /** Sends a presence advert when one is due, and arms the timer for the next one. */
    private void presenceDue() {
        if (loop == null || channel == null || peers.isEmpty()) {
            return;
        }
        long now = nanoClock.getAsLong();
        if (presence.due(now)) {
            send(Advert.presence(node, intervalMillis(), epoch, ++sequence));
        }
        if (presenceTimer == null || presenceTimer.isDone()) {
            // One timer at a time: an advert sent meanwhile only moves the due time later, and a timer that fires
            // early just arms the next one.
            presenceTimer = loop.schedule(() -> {
                presenceTimer = null;
                presenceDue();
            }, Math.max(0, presence.nextDue() - now), TimeUnit.NANOSECONDS);
        }
    }

    private void send(Advert a) {
        if (channel == null) {
            return;
        }
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(AdvertCodec.MAX_LENGTH);
        try {
            codec.encode(a, buf);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        channel.send(buf, peers);
        metrics.sent();
        presence.sent(nanoClock.getAsLong());
    }

    private void received(ByteBuf content, InetSocketAddress sender) {
        Advert a = receiver.receive(content, sender);
        if (a == null) {
            return;
        }
        long now = nanoClock.getAsLong();
        presence.heard(now, a.node(), a.epoch());
        if (presence.due(now)) {
            presenceDue();
        }
        if (!a.isPresence()) {
            handler.advert(a, sender);
        }
    }

    @Override
    public void close() {
        ScheduledFuture<?> t = presenceTimer;
        if (t != null) {
            t.cancel(false);
        }
        if (channel != null) {
            channel.close();
        }
    }
}
