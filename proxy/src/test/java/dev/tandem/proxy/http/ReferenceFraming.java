package dev.tandem.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * How a strict decoder frames a client's bytes into requests: the reference that what reaches a backend is
 * held to. A request the backend sees must be one of these, in order, with the same body: anything else was
 * framed differently on the two sides of the proxy (request smuggling).
 */
final class ReferenceFraming {

    record Framed(String method, String uri, byte[] body, boolean complete) {
    }

    private ReferenceFraming() {
    }

    /** The requests in {@code bytes}, up to the first that does not decode (nothing after it is a request). */
    static List<Framed> frame(byte[] bytes, HttpDecoderConfig config) {
        EmbeddedChannel channel = new EmbeddedChannel(new HttpRequestDecoder(config));
        List<Framed> framed = new ArrayList<>();
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes));
            String method = null;
            String uri = null;
            ByteArrayOutputStream body = null;
            Object msg;
            while ((msg = channel.readInbound()) != null) {
                try {
                    if (msg instanceof HttpRequest head) {
                        if (head.decoderResult().isFailure()) {
                            return framed;
                        }
                        method = head.method().name();
                        uri = head.uri();
                        body = new ByteArrayOutputStream();
                    }
                    if (msg instanceof HttpContent content) {
                        if (body == null) {
                            return framed;
                        }
                        if (content.decoderResult().isFailure()) {
                            // The head and the body before the failure may have been streamed on: a request cut short.
                            framed.add(new Framed(method, uri, body.toByteArray(), false));
                            return framed;
                        }
                        ByteBuf b = content.content();
                        byte[] chunk = new byte[b.readableBytes()];
                        b.getBytes(b.readerIndex(), chunk);
                        body.writeBytes(chunk);
                        if (msg instanceof LastHttpContent) {
                            framed.add(new Framed(method, uri, body.toByteArray(), true));
                            body = null;
                        }
                    }
                } finally {
                    ReferenceCountUtil.release(msg);
                }
            }
            if (body != null) {
                framed.add(new Framed(method, uri, body.toByteArray(), false));
            }
            return framed;
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
