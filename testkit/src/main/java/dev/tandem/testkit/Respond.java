package dev.tandem.testkit;

import io.netty.handler.codec.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** The {@link Behaviour}s integration tests use most. */
public final class Respond {

    private Respond() {
    }

    /** 200 with the backend's name and a newline as the body. */
    public static Behaviour name() {
        return x -> x.respond(200, x.backendName() + "\n");
    }

    /** {@code status} with the backend's name as the body. */
    public static Behaviour status(int status) {
        return x -> x.respond(status, x.backendName() + "\n");
    }

    /** 200 with {@code headers} added and {@code body}. */
    public static Behaviour withHeaders(Map<String, String> headers, String body) {
        return x -> {
            HttpResponse head = x.head(200);
            headers.forEach((k, v) -> head.headers().add(k, v));
            x.respond(head, body.getBytes(StandardCharsets.UTF_8));
        };
    }

    /**
     * 200 with the request as the body: its request line, its headers one per line, an empty line, then
     * the first {@link RecordedRequest#KEPT_BODY_BYTES} bytes of its body.
     */
    public static Behaviour echo() {
        return x -> {
            RecordedRequest r = x.request();
            StringBuilder text = new StringBuilder(r.method()).append(' ').append(r.uri()).append(' ')
                    .append(r.version()).append('\n');
            r.headers().forEach(h -> text.append(h.getKey()).append(": ").append(h.getValue()).append('\n'));
            text.append('\n');
            byte[] head = text.toString().getBytes(StandardCharsets.UTF_8);
            byte[] body = r.body();
            byte[] all = new byte[head.length + body.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(body, 0, all, head.length, body.length);
            x.respond(x.head(200), all);
        };
    }

    /**
     * 200 with what arrived, once the whole body is in: {@code bytes=N crc32=C pattern=true|false}
     * (pattern: the body was {@link TestData}'s).
     */
    public static Behaviour bodySummary() {
        return x -> {
            RecordedRequest r = x.request();
            x.respond(200, "bytes=" + r.bodyBytes() + " crc32=" + r.crc32() + " pattern=" + r.bodyIsPattern() + "\n");
        };
    }

    /** 200 with a {@link TestData} body of {@code bytes} bytes and a Content-Length. */
    public static Behaviour stream(long bytes) {
        return x -> x.stream(bytes, false);
    }

    /** 200 with a chunked {@link TestData} body of {@code bytes} bytes. */
    public static Behaviour streamChunked(long bytes) {
        return x -> x.stream(bytes, true);
    }

    /** 200 chunked, {@code pieces} pieces of {@code pieceSize} bytes, one every {@code gap}. */
    public static Behaviour trickle(int pieces, int pieceSize, Duration gap) {
        return x -> x.trickle(pieces, pieceSize, gap);
    }

    /** Reads the request and never answers. */
    public static Behaviour hang() {
        return BackendExchange::hang;
    }

    /** Answers after {@code delay} as {@code then} would. */
    public static Behaviour after(Duration delay, Behaviour then) {
        return x -> x.later(delay, () -> {
            if (x.channel().isActive()) {
                then.onRequest(x);
            }
        });
    }

    /** Closes the connection as soon as the head arrives, before the body is read. */
    public static Behaviour closeOnHead() {
        return new Behaviour() {
            @Override
            public void onHead(BackendExchange x) {
                x.close();
            }

            @Override
            public void onRequest(BackendExchange x) {
            }
        };
    }

    /** Resets the connection as soon as the head arrives. */
    public static Behaviour resetOnHead() {
        return new Behaviour() {
            @Override
            public void onHead(BackendExchange x) {
                x.reset();
            }

            @Override
            public void onRequest(BackendExchange x) {
            }
        };
    }

    /** Reads the whole request, then closes the connection without answering. */
    public static Behaviour closeAfterRequest() {
        return BackendExchange::close;
    }

    /** Reads the whole request, then resets the connection without answering. */
    public static Behaviour resetAfterRequest() {
        return BackendExchange::reset;
    }

    /** Answers {@code status} as soon as the head arrives, without waiting for the body. */
    public static Behaviour earlyAnswer(int status) {
        return new Behaviour() {
            @Override
            public void onHead(BackendExchange x) {
                x.respond(status, x.backendName() + "\n");
            }

            @Override
            public void onRequest(BackendExchange x) {
            }
        };
    }

    /**
     * Answers the first request of each connection as {@code first} does (keeping the connection open), and
     * closes the connection without answering when another request arrives on it: a kept-alive connection
     * the server dropped just as the proxy reused it.
     */
    public static Behaviour closeOnReuse(Behaviour first) {
        return x -> {
            if (x.request().indexOnConnection() == 0) {
                first.onRequest(x);
            } else {
                x.close();
            }
        };
    }

    /** Writes {@code response} verbatim (ISO-8859-1), then closes the connection when {@code close}. */
    public static Behaviour raw(String response, boolean close) {
        return x -> x.respondRaw(response, close);
    }
}
