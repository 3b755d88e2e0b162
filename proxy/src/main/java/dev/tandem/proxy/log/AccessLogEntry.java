package dev.tandem.proxy.log;

/**
 * One finished request, captured on the event loop with no formatting; the access log's own thread turns
 * it into a line.
 *
 * @param epochMillis    when the request ended
 * @param source         who answered: {@code upstream}, {@code disk} or {@code tandem} (an error page)
 * @param upstream       the server that answered, or null
 * @param requestNanos   from the request head to the end of the response
 * @param upstreamNanos  from sending to the server to the end of its response, or -1
 */
public record AccessLogEntry(
        String remoteAddress,
        long epochMillis,
        String method,
        String uri,
        String protocol,
        int status,
        long bodyBytes,
        String referer,
        String userAgent,
        String source,
        String upstream,
        long requestNanos,
        long upstreamNanos) {
}
