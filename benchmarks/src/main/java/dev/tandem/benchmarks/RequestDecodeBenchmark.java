package dev.tandem.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Decoding a request head with the decoder settings Tandem's client pipeline uses (header and initial line
 * limits of 16 KiB; {@code validation=false}, as the pipeline decodes, where RequestTarget validates every field
 * once afterwards), for wrk's minimal request and a browser-sized one.
 * The request decoder alone stands for the pipeline's HttpServerCodec, whose encoder half would keep a
 * queue entry for every request that never gets a response here.
 * RequestTarget, the checks Tandem runs next, is internal to the proxy and measured as part of the load
 * runs instead. The {@code validation} parameter shows what Netty's header validation would cost.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RequestDecodeBenchmark {

    @Param({"wrk", "browser"})
    public String request;

    @Param({"true", "false"})
    public boolean validation;

    private EmbeddedChannel channel;
    private ByteBuf bytes;

    @Setup
    public void setUp() {
        String head = switch (request) {
            case "wrk" -> "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
            case "browser" -> """
                    GET /shop/items/42?color=blue HTTP/1.1\r
                    Host: www.example.com\r
                    User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r
                    Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r
                    Accept-Language: en-GB,en;q=0.5\r
                    Accept-Encoding: gzip, deflate, br\r
                    Referer: https://www.example.com/shop\r
                    Connection: keep-alive\r
                    Cookie: session=0123456789abcdef; theme=dark\r
                    Upgrade-Insecure-Requests: 1\r
                    \r
                    """;
            default -> throw new IllegalArgumentException(request);
        };
        bytes = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(head.getBytes(StandardCharsets.US_ASCII)));
        HttpDecoderConfig config = new HttpDecoderConfig()
                .setMaxInitialLineLength(16 * 1024)
                .setMaxHeaderSize(16 * 1024)
                .setMaxChunkSize(64 * 1024);
        if (!validation) {
            config.setHeadersFactory(DefaultHttpHeadersFactory.headersFactory().withNameValidation(false)
                    .withValueValidation(false));
        }
        channel = new EmbeddedChannel(new HttpRequestDecoder(config));
    }

    @TearDown
    public void tearDown() {
        channel.finishAndReleaseAll();
    }

    /** One request head in, the decoded request (and its empty last content) out. */
    @Benchmark
    public HttpRequest decode() {
        channel.writeInbound(bytes.duplicate());
        HttpRequest decoded = channel.readInbound();
        Object last;
        while ((last = channel.readInbound()) != null) {
            ReferenceCountUtil.release(last);
        }
        return decoded;
    }
}
