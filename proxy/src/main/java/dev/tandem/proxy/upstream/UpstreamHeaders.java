package dev.tandem.proxy.upstream;

import io.netty.handler.codec.DefaultHeaders.NameValidator;
import io.netty.handler.codec.DefaultHeaders.ValueValidator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;

/**
 * The headers a server's responses are decoded into. Validated as Netty validates them, with two savings per
 * response: a field name {@link KnownWords} handed the decoder is a token already, so it is not checked octet
 * by octet again; and the trailers every response ends with (nearly always none) start with room for two
 * fields rather than sixteen.
 */
final class UpstreamHeaders {

    private static final DefaultHttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory();
    private static final DefaultHttpHeadersFactory TRAILERS = DefaultHttpHeadersFactory.trailersFactory();

    private static final NameValidator<CharSequence> NAMES = name -> {
        if (!(name instanceof AsciiString a && KnownWords.isKnownName(a))) {
            HEADERS.getNameValidator().validateName(name);
        }
    };

    /** The response headers. */
    static final HttpHeadersFactory RESPONSE = HEADERS.withNameValidator(NAMES);

    /** The trailers, validated as Netty's trailers are (no framing fields among them). */
    static final HttpHeadersFactory TRAILER = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new Trailers(TRAILERS.getNameValidator(), TRAILERS.getValueValidator());
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return newHeaders();
        }
    };

    private UpstreamHeaders() {
    }

    private static final class Trailers extends DefaultHttpHeaders {
        Trailers(NameValidator<CharSequence> names, ValueValidator<CharSequence> values) {
            super(names, values, 2);
        }
    }
}
