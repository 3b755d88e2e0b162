package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OneMessagePerReadTest {

    /** Counts the read() calls that reach the socket side. */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int reads;

        @Override
        public void read(ChannelHandlerContext ctx) {
            reads++;
            ctx.read();
        }
    }

    private final ReadCounter socketReads = new ReadCounter();
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        channel.pipeline().addLast(socketReads, new OneMessagePerRead());
        socketReads.reads = 0;
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    private static ByteBuf msg(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    private String next() {
        ByteBuf b = channel.readInbound();
        if (b == null) {
            return null;
        }
        try {
            return b.toString(StandardCharsets.US_ASCII);
        } finally {
            b.release();
        }
    }

    @Test
    void deliversOneMessagePerReadInOrder() {
        channel.pipeline().fireChannelRead(msg("head")).fireChannelRead(msg("end")).fireChannelRead(msg("next"));
        assertNull(next(), "nothing without a read");
        channel.read();
        assertEquals("head", next());
        assertNull(next());
        channel.read();
        assertEquals("end", next());
        channel.read();
        assertEquals("next", next());
        assertEquals(0, socketReads.reads, "all came from the queue");
    }

    @Test
    void aReadWithNothingQueuedReadsTheSocketAndTakesTheNextMessageAtOnce() {
        channel.read();
        assertEquals(1, socketReads.reads);
        channel.pipeline().fireChannelRead(msg("a")).fireChannelRead(msg("b"));
        assertEquals("a", next());
        assertNull(next(), "b waits for the next read");
        channel.read();
        assertEquals("b", next());
    }

    @Test
    void aSocketReadThatEndsWithoutAMessageKeepsReading() {
        channel.read();
        // the decoder got half a request head: no message, then the read completes
        channel.pipeline().fireChannelReadComplete();
        assertEquals(2, socketReads.reads, "the outstanding read must not be dropped");
        channel.pipeline().fireChannelRead(msg("head"));
        assertEquals("head", next());
        channel.pipeline().fireChannelReadComplete();
        assertEquals(2, socketReads.reads, "satisfied: no more reads");
    }

    @Test
    void queuedMessagesAreReleasedWhenTheConnectionCloses() {
        ByteBuf a = msg("a");
        channel.pipeline().fireChannelRead(a);
        channel.close();
        assertEquals(0, a.refCnt());
    }

    @Test
    void withAutoReadOnItIsTransparent() {
        channel.config().setAutoRead(true);
        channel.pipeline().fireChannelRead(msg("a")).fireChannelRead(msg("b"));
        assertEquals("a", next());
        assertEquals("b", next());
    }
}
