package dev.tandem.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;

/**
 * The headers of a request as the client decoder fills them, counting its {@code Content-Length} fields (and
 * its {@code Host} fields, so that the usual one is checked without listing them). For
 * HTTP/1.0 Netty keeps the first of several fields and replaces them with it before anyone sees the request
 * (RFC 9112 asks this only of identical values in HTTP/1.1, where Netty refuses them); a proxy in front of us
 * that took the last would frame the body differently. {@link RequestTarget} refuses more than one, in any
 * version. Fields are not validated as they are added: {@link RequestTarget} checks them all once.
 */
final class DecodedRequestHeaders extends DefaultHttpHeaders {

    /** Makes these headers for the client decoder. */
    static final HttpHeadersFactory FACTORY = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new DecodedRequestHeaders(16);
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return new DecodedRequestHeaders(2);
        }
    };

    private static final DefaultHttpHeadersFactory UNVALIDATED = DefaultHttpHeadersFactory.headersFactory().withValidation(false);

    private int contentLengthFields;
    private int hostFields;

    private DecodedRequestHeaders(int sizeHint) {
        super(UNVALIDATED.getNameValidator(), UNVALIDATED.getValueValidator(), sizeHint);
    }

    /** How many {@code Content-Length} fields the request came with. */
    int contentLengthFields() {
        return contentLengthFields;
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        count(name);
        return super.add(name, value);
    }

    @Override
    public HttpHeaders add(String name, Object value) {
        count(name);
        return super.add(name, value);
    }

    /** How many {@code Host} fields were added (removing one does not count down). */
    int hostFields() {
        return hostFields;
    }

    private void count(CharSequence name) {
        if (HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
            contentLengthFields++;
        } else if (HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)) {
            hostFields++;
        }
    }
}
