package dev.tandem.node.admin;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One entry of a node's timeline: a VIP transition, a failover, a reload, a health change.
 *
 * @param seq     this node's sequence number, rising by one per event since the start (a page asks for what
 *                is after the last one it has)
 * @param at      when it happened (the source's own time where it has one, e.g. a health verdict's since)
 * @param node    the node that saw it
 * @param kind    {@code transition}, {@code failover}, {@code reload}, {@code health}, {@code node}, {@code mirror},
 *                {@code action} (a call of the admin API that changes something, refused ones included)
 * @param level   {@code info}, {@code warn} or {@code error}
 * @param subject what it is about: a VIP, a server ({@code upstream/address}), a mirrored path, the config
 * @param text    what happened, for people
 */
public record AdminEvent(long seq, Instant at, String node, String kind, String level, String subject, String text) {

    public Map<String, Object> toTree() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", seq);
        m.put("at", at.toString());
        m.put("node", node);
        m.put("kind", kind);
        m.put("level", level);
        m.put("subject", subject);
        m.put("text", text);
        return m;
    }
}
