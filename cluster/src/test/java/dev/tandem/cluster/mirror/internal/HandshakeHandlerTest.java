package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the handshake counts as a rejection: input refused, never this node's own dial cut by a dying peer. */
class HandshakeHandlerTest {

    private static final byte[] KEY = new byte[32];

    private final MirrorMetrics metrics = new MirrorMetrics(new SimpleMeterRegistry());

    private EmbeddedChannel channel(boolean client) {
        return new EmbeddedChannel(new HandshakeHandler(KEY, client ? "a" : "b", client, client ? "b" : null,
                client ? Set.of() : Set.of("a"), metrics, Duration.ofSeconds(5), (c, p) -> { }));
    }

    private static void releaseOutbound(EmbeddedChannel ch) {
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ((ByteBuf) o).release();
        }
    }

    @Test
    void aDialResetInItsHandshakeIsNoRejection() {
        EmbeddedChannel ch = channel(true);
        releaseOutbound(ch);
        ch.pipeline().fireExceptionCaught(new SocketException("Connection reset"));
        assertFalse(ch.isOpen());
        assertEquals(0.0, metrics.rejectedCount(MirrorMetrics.UNAUTHENTICATED));
        assertEquals(Boolean.FALSE, ch.attr(HandshakeHandler.HELLO_UNANSWERED).get(),
                "a reset is no refusal of the protocol offered");
        releaseOutbound(ch);
        ch.finishAndReleaseAll();
    }

    @Test
    void aDialerResetBeforeItProvedTheKeyIsCountedOnce() {
        EmbeddedChannel ch = channel(false);
        ch.pipeline().fireExceptionCaught(new SocketException("Connection reset"));
        assertFalse(ch.isOpen());
        assertEquals(1.0, metrics.rejectedCount(MirrorMetrics.UNAUTHENTICATED));
        releaseOutbound(ch);
        ch.finishAndReleaseAll();
    }
}
