package dev.tandem.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One request on a {@link TestBackend} and the ways a {@link Behaviour} can answer it. Used on the
 * backend's event loop only. Every answer names the backend ({@code X-Backend} header) so that a test sees
 * who answered.
 */
public final class BackendExchange {

    private final TestBackend backend;
    private final ChannelHandlerContext ctx;
    private final ChannelHandlerContext raw;
    private final RecordedRequest request;
    private final boolean keepAlive;
    private final Runnable onFinished;
    private boolean answered;
    private boolean requestComplete;
    private Streamer streamer;

    BackendExchange(TestBackend backend, ChannelHandlerContext ctx, ChannelHandlerContext raw, RecordedRequest request,
                    boolean keepAlive, Runnable onFinished) {
        this.backend = backend;
        this.ctx = ctx;
        this.raw = raw;
        this.request = request;
        this.keepAlive = keepAlive;
        this.onFinished = onFinished;
    }

    public RecordedRequest request() {
        return request;
    }

    public String backendName() {
        return backend.name();
    }

    public Channel channel() {
        return ctx.channel();
    }

    /** True once the behaviour answered, closed or reset. */
    public boolean answered() {
        return answered;
    }

    /** True once the whole request body arrived. */
    public boolean requestComplete() {
        return requestComplete;
    }

    void requestCompleted() {
        requestComplete = true;
    }

    /** Answers {@code status} with {@code body} as text. */
    public void respond(int status, String body) {
        HttpResponse head = head(status);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        respond(head, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Answers with {@code head} (X-Backend and Content-Length are added) and {@code body}. */
    public void respond(HttpResponse head, byte[] body) {
        begin();
        head.headers().set("X-Backend", backend.name());
        if (!head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            head.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        }
        if (!keepAlive) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.write(head);
        ByteBuf content = Unpooled.wrappedBuffer(body);
        backend.countSent(body.length);
        finishWith(ctx.writeAndFlush(new DefaultLastHttpContent(content)));
    }

    /** A response head naming this backend, for {@link #respond(HttpResponse, byte[])}. */
    public HttpResponse head(int status) {
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
    }

    /**
     * Writes {@code text} to the connection as it is (ISO-8859-1), bypassing the HTTP encoder: for responses
     * no well-behaved server would send. The connection closes afterwards when {@code close}.
     */
    public void respondRaw(String text, boolean close) {
        begin();
        ByteBuf bytes = Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1);
        backend.countSent(bytes.readableBytes());
        ChannelFuture f = raw.writeAndFlush(bytes);
        if (close) {
            f.addListener(ChannelFutureListener.CLOSE);
        } else {
            f.addListener(done -> onFinished.run());
        }
    }

    /**
     * Answers 200 with a body of {@code bytes} {@link TestData} bytes, generated while the connection is
     * writable (the backend's own backpressure), with a Content-Length or chunked.
     */
    public void stream(long bytes, boolean chunked) {
        begin();
        HttpResponse head = head(200);
        head.headers().set("X-Backend", backend.name()).set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
        if (chunked) {
            head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else {
            head.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes);
        }
        if (!keepAlive) {
            head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.write(head);
        streamer = new Streamer(bytes);
        streamer.pump();
    }

    /**
     * Answers 200 chunked with {@code pieces} pieces of {@code pieceSize} {@link TestData} bytes, one every
     * {@code gap}: a slow server that keeps making progress.
     */
    public void trickle(int pieces, int pieceSize, Duration gap) {
        begin();
        HttpResponse head = head(200);
        head.headers().set("X-Backend", backend.name()).set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        ctx.writeAndFlush(head);
        trickleNext(0, pieces, pieceSize, gap);
    }

    private void trickleNext(int done, int pieces, int pieceSize, Duration gap) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (done == pieces) {
            finishWith(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
            return;
        }
        later(gap, () -> {
            ByteBuf b = ctx.alloc().buffer(pieceSize);
            TestData.fill(b, (long) done * pieceSize, pieceSize);
            backend.countSent(pieceSize);
            ctx.writeAndFlush(new DefaultHttpContent(b));
            trickleNext(done + 1, pieces, pieceSize, gap);
        });
    }

    /** Closes the connection without answering (a FIN). */
    public void close() {
        answered = true;
        ctx.close();
    }

    /** Resets the connection without answering (an RST). */
    public void reset() {
        answered = true;
        ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
        ctx.close();
    }

    /** Neither answers nor closes: the request hangs until the test or the peer ends it. */
    public void hang() {
        answered = true;
    }

    /** Runs {@code task} on this exchange's event loop after {@code delay}. */
    public void later(Duration delay, Runnable task) {
        ctx.executor().schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    void writabilityChanged() {
        if (streamer != null && ctx.channel().isWritable()) {
            streamer.pump();
        }
    }

    private void begin() {
        if (answered) {
            throw new IllegalStateException("already answered: " + request);
        }
        answered = true;
    }

    private void finishWith(ChannelFuture last) {
        last.addListener(f -> {
            if (!keepAlive || !f.isSuccess()) {
                ctx.close();
            } else {
                onFinished.run();
            }
        });
    }

    /** Writes a generated body while the connection is writable. */
    private final class Streamer {

        private final long total;
        private long queued;

        Streamer(long total) {
            this.total = total;
        }

        void pump() {
            boolean wrote = false;
            while (queued < total && ctx.channel().isWritable()) {
                int n = (int) Math.min(TestData.MAX_PIECE, total - queued);
                ByteBuf b = ctx.alloc().buffer(n);
                TestData.fill(b, queued, n);
                queued += n;
                ctx.write(new DefaultHttpContent(b)).addListener(f -> {
                    if (f.isSuccess()) {
                        backend.countSent(n);
                    }
                });
                wrote = true;
            }
            if (queued == total) {
                streamer = null;
                finishWith(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
            } else if (wrote) {
                ctx.flush();
            }
        }
    }
}
