package dev.tandem.cluster.mirror.internal;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Sends the latest summary on a connection every {@link PeerLink#HEARTBEAT}, from the connection's event loop
 * (not the mirror's thread, which may be busy hashing a large tree): the peer's read timeout then tells a
 * dead connection from a quiet one.
 */
final class Heartbeat {

    private Heartbeat() {
    }

    static void start(Channel ch, Supplier<Messages.Summary> latest) {
        long every = PeerLink.HEARTBEAT.toMillis();
        ScheduledFuture<?> f = ch.eventLoop().scheduleAtFixedRate(() -> {
            Messages.Summary s = latest.get();
            if (s != null && ch.isActive()) {
                ch.writeAndFlush(Messages.summary(s));
            }
        }, every, every, TimeUnit.MILLISECONDS);
        ch.closeFuture().addListener(x -> f.cancel(false));
    }
}
