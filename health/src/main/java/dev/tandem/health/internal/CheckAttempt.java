package dev.tandem.health.internal;

import dev.tandem.conf.HttpCheckConfig;
import dev.tandem.health.CheckOutcome;
import dev.tandem.health.CheckResult;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One active check of one server, on one event loop: connect on a connection of its own and, for an HTTP
 * check, send one request and judge the response by its status and, when asked, by a bounded prefix of its
 * body. The timeout covers everything from the connect to the verdict. Reports exactly one
 * {@link CheckResult}, then closes its connection.
 *
 * <p>Confined to its event loop: every method runs there.
 */
final class CheckAttempt {

    /** How much of a body is searched for {@code expect_body}: a health page, not a download. */
    static final int MAX_BODY_BYTES = 64 * 1024;

    private static final int MAX_RESPONSE_LINE = 8192;
    private static final int MAX_RESPONSE_HEADERS = 16 * 1024;
    private static final String USER_AGENT = "tandem-health-check";

    private enum Phase { CONNECTING, AWAITING_RESPONSE, READING_BODY }

    private final EventLoop loop;
    private final Class<? extends Channel> channelClass;
    private final InetSocketAddress address;
    private final Optional<HttpCheckConfig> http;
    private final String hostHeader;
    private final Duration timeout;
    private final Consumer<CheckResult> done;
    private final long start = System.nanoTime();
    private Phase phase = Phase.CONNECTING;
    private Channel channel;
    private ScheduledFuture<?> timer;
    private BodyMatcher body;
    private boolean finished;

    /**
     * @param hostHeader the Host header of an HTTP check
     * @param done       receives the result, on {@code loop}
     */
    CheckAttempt(EventLoop loop, Class<? extends Channel> channelClass, InetSocketAddress address,
                 Optional<HttpCheckConfig> http, String hostHeader, Duration timeout, Consumer<CheckResult> done) {
        this.loop = loop;
        this.channelClass = channelClass;
        this.address = address;
        this.http = http;
        this.hostHeader = hostHeader;
        this.timeout = timeout;
        this.done = done;
    }

    /** Starts the check; call on the loop. */
    void start() {
        timer = loop.schedule(this::timedOut, timeout.toNanos(), TimeUnit.NANOSECONDS);
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (http.isPresent()) {
                            HttpDecoderConfig decoder = new HttpDecoderConfig()
                                    .setMaxInitialLineLength(MAX_RESPONSE_LINE)
                                    .setMaxHeaderSize(MAX_RESPONSE_HEADERS)
                                    .setMaxChunkSize(MAX_BODY_BYTES);
                            ch.pipeline().addLast(new HttpClientCodec(decoder, false, false));
                        }
                        ch.pipeline().addLast(new ResponseHandler());
                    }
                });
        ChannelFuture f = b.connect(address);
        channel = f.channel();
        f.addListener(future -> {
            if (finished) {
                return;
            }
            if (!future.isSuccess()) {
                fail(future.cause());
            } else if (http.isEmpty()) {
                finish(CheckOutcome.PASSED, "connected");
            } else {
                phase = Phase.AWAITING_RESPONSE;
                channel.writeAndFlush(request()).addListener(w -> {
                    if (!w.isSuccess()) {
                        fail(w.cause());
                    }
                });
            }
        });
    }

    /** Stops without reporting (the checker was stopped); call on the loop. */
    void abort() {
        finished = true;
        cleanUp();
    }

    private FullHttpRequest request() {
        HttpCheckConfig h = http.orElseThrow();
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(h.method()), h.path(),
                Unpooled.EMPTY_BUFFER);
        r.headers()
                .set(HttpHeaderNames.HOST, h.host().orElse(hostHeader))
                .set(HttpHeaderNames.USER_AGENT, USER_AGENT)
                .set(HttpHeaderNames.ACCEPT, "*/*")
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }

    private void timedOut() {
        String what = switch (phase) {
            case CONNECTING -> "no connection";
            case AWAITING_RESPONSE -> "no response";
            case READING_BODY -> "response incomplete";
        };
        finish(CheckOutcome.TIMEOUT, "timeout: " + what + " within " + Durations.text(timeout));
    }

    private void fail(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            finish(CheckOutcome.TIMEOUT, "timeout: no connection within " + Durations.text(timeout));
        } else if (cause instanceof ConnectException && mentions(cause, "refused")) {
            finish(CheckOutcome.REFUSED, "refused");
        } else if (cause instanceof NoRouteToHostException || cause instanceof ConnectException) {
            finish(CheckOutcome.ERROR, "error: cannot connect: " + message(cause));
        } else if (cause instanceof DecoderException) {
            finish(CheckOutcome.ERROR, "error: invalid response: " + message(cause));
        } else if (cause instanceof IOException && mentions(cause, "reset")) {
            finish(CheckOutcome.RESET, "reset: connection reset by the server");
        } else {
            finish(CheckOutcome.ERROR, "error: " + message(cause));
        }
    }

    private static boolean mentions(Throwable cause, String word) {
        return cause.getMessage() != null && cause.getMessage().toLowerCase(Locale.ROOT).contains(word);
    }

    private static String message(Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    }

    private void finish(CheckOutcome outcome, String detail) {
        if (finished) {
            return;
        }
        finished = true;
        cleanUp();
        done.accept(new CheckResult(outcome, detail, System.nanoTime() - start));
    }

    private void cleanUp() {
        if (timer != null) {
            timer.cancel(false);
        }
        if (channel != null) {
            // Closing also cancels a connect in progress.
            channel.close();
        }
    }

    /** Judges the response; releases every message it reads, judged or not. */
    private final class ResponseHandler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!finished) {
                    judge(msg);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void judge(Object msg) {
            if (msg instanceof HttpResponse r) {
                if (r.decoderResult().isFailure()) {
                    fail(r.decoderResult().cause());
                    return;
                }
                int status = r.status().code();
                if (status >= 100 && status < 200 && status != 101) {
                    // An interim response (103 Early Hints...): the final one follows.
                    return;
                }
                HttpCheckConfig h = http.orElseThrow();
                if (!h.accepts(status)) {
                    finish(CheckOutcome.STATUS, "status " + status);
                    return;
                }
                if (h.expectBody().isEmpty()) {
                    finish(CheckOutcome.PASSED, "status " + status);
                    return;
                }
                phase = Phase.READING_BODY;
                body = new BodyMatcher(h.expectBody().get().getBytes(StandardCharsets.UTF_8), MAX_BODY_BYTES, status);
            }
            if (msg instanceof HttpContent c && body != null) {
                if (c.decoderResult().isFailure()) {
                    fail(c.decoderResult().cause());
                    return;
                }
                ByteBuf content = c.content();
                if (body.feed(content)) {
                    finish(CheckOutcome.PASSED, "status " + body.status() + ", body matched");
                } else if (c instanceof LastHttpContent || body.full()) {
                    finish(CheckOutcome.BODY_MISMATCH, "body mismatch: '" + http.orElseThrow().expectBody().get()
                            + "' not in the first " + body.size() + " bytes (status " + body.status() + ")");
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!finished) {
                finish(CheckOutcome.RESET, switch (phase) {
                    case CONNECTING, AWAITING_RESPONSE -> "reset: connection closed before the response";
                    case READING_BODY -> "reset: connection closed during the body";
                });
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            fail(cause);
        }
    }
}
