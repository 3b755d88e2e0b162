package dev.tandem.cluster.mirror.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.ReadTimeoutException;
import java.io.IOException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

/**
 * How the end of a link's connection is told apart: one this side closes (a timeout, a bad frame) says nothing
 * of the peer, so it must never count towards "the peer's process is gone"; one the peer reset may.
 */
class PeerLinkHandlerTest {

    /** The handler alone: the paths checked here use neither the link nor the engine. */
    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(new PeerLinkHandler(null, "b", null));
    }

    @Test
    void aConnectionThePeerResetIsClosedAsThePeers() {
        EmbeddedChannel ch = channel();
        ch.pipeline().fireExceptionCaught(new SocketException("Connection reset"));
        assertFalse(ch.isOpen());
        assertFalse(PeerLinkHandler.closedHere(ch), "a reset comes from the peer's side");
    }

    @Test
    void aReadTimeoutIsClosedHereAndSaysNothingOfThePeer() {
        EmbeddedChannel ch = channel();
        ch.pipeline().fireExceptionCaught(ReadTimeoutException.INSTANCE);
        assertFalse(ch.isOpen());
        assertTrue(PeerLinkHandler.closedHere(ch), "this side gave up on a peer that may be alive");
    }

    @Test
    void anOtherIoErrorIsClosedHere() {
        EmbeddedChannel ch = channel();
        ch.pipeline().fireExceptionCaught(new IOException("No buffer space available"));
        assertFalse(ch.isOpen());
        assertTrue(PeerLinkHandler.closedHere(ch));
    }

    @Test
    void aConnectionClosedByThePeerWithoutAnErrorIsNotMarked() {
        EmbeddedChannel ch = channel();
        ch.close();
        assertFalse(PeerLinkHandler.closedHere(ch));
    }
}
