package dev.tandem.proxy.http;

import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;

/**
 * The HTTP/1.x codec of a client connection: the {@link StrictRequestDecoder} and a response encoder that
 * knows which responses answer a HEAD (and so have no body whatever their headers say), as Netty's
 * {@code HttpServerCodec} does, which cannot take another decoder. The proxy answers the requests of a
 * connection in order, one at a time, so the n-th final response answers the n-th request decoded.
 *
 * <p>A request that failed to decode is answered too (400), and counts like any other.
 */
final class Http1ServerCodec extends CombinedChannelDuplexHandler<StrictRequestDecoder, HttpResponseEncoder> {

    /** Whether each request not yet answered is a HEAD, oldest first. */
    private final ArrayDeque<Boolean> heads = new ArrayDeque<>();

    Http1ServerCodec(HttpDecoderConfig config) {
        init(new StrictRequestDecoder(config, method -> heads.add(HttpMethod.HEAD.equals(method))), new Encoder());
    }

    private final class Encoder extends HttpResponseEncoder {
        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg);
            }
            Boolean head = heads.poll();
            return (head != null && head) || super.isContentAlwaysEmpty(msg);
        }
    }
}
