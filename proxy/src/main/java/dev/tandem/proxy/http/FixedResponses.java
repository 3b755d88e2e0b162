package dev.tandem.proxy.http;

import dev.tandem.conf.FixedResponse;
import dev.tandem.conf.ValueTemplate.Variable;
import dev.tandem.proxy.runtime.HeaderRuleSet;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** The responses of a route's {@code return} and {@code redirect}, their variables filled in. */
final class FixedResponses {

    private FixedResponses() {
    }

    /**
     * The response to send, or null for a redirect whose {@code Location} a variable filled with CR, LF or
     * another control character (it would split the response).
     *
     * @param close {@code Connection: close} goes with it
     * @param head  the request is a HEAD: the body's length is said, the body is not sent
     */
    static FullHttpResponse of(FixedResponse fixed, Function<Variable, String> variables, boolean close, boolean head) {
        HttpResponseStatus status = HttpResponseStatus.valueOf(fixed.status());
        if (fixed.isRedirect()) {
            String location = fixed.location().get().expand(variables);
            if (HeaderRuleSet.unsafeInHeader(location)) {
                return null;
            }
            FullHttpResponse r = ErrorResponses.of(status, close, head);
            // A redirect may be cached as its status allows; the error pages' no-store is not for it.
            r.headers().remove(HttpHeaderNames.CACHE_CONTROL);
            r.headers().set(HttpHeaderNames.LOCATION, location);
            return r;
        }
        byte[] body = fixed.body().expand(variables).getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, fixed.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        if (close) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return r;
    }
}
