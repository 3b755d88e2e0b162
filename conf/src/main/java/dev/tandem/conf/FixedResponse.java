package dev.tandem.conf;

import java.util.Optional;

/**
 * A route that answers by itself: {@code return: {status, body}} (nginx {@code return 200 "ok"}) or
 * {@code redirect: {status, to}} (nginx {@code return 301 https://...}).
 *
 * @param status      the status sent
 * @param location    the redirect's {@code Location}, for a redirect; empty for a return
 * @param body        the body of a return (text/plain); empty for a redirect, whose body is a short page
 * @param contentType the {@code Content-Type} of a return's body
 */
public record FixedResponse(int status, Optional<ValueTemplate> location, ValueTemplate body, String contentType) {

    public static final String TEXT_PLAIN = "text/plain; charset=utf-8";

    public static FixedResponse returning(int status, ValueTemplate body) {
        return new FixedResponse(status, Optional.empty(), body, TEXT_PLAIN);
    }

    public static FixedResponse redirect(int status, ValueTemplate to) {
        return new FixedResponse(status, Optional.of(to), ValueTemplate.literal(""), TEXT_PLAIN);
    }

    public boolean isRedirect() {
        return location.isPresent();
    }
}
