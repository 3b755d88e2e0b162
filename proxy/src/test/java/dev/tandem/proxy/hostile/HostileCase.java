package dev.tandem.proxy.hostile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One case of the hostile-request corpus ({@code hostile/corpus.txt}): what a client sends in one write,
 * the statuses it must get back in order, whether the proxy then closes the connection or keeps it usable,
 * and the exact octets the server behind must see (or nothing).
 *
 * <p>The file is line-oriented: {@code group NAME} starts a group; {@code case NAME} starts a case, followed
 * by {@code send TEXT} (repeatable, concatenated), {@code expect STATUS... close|open}, {@code backend none}
 * or {@code backend TEXT} (repeatable, concatenated; each complete request recorded by the server is matched in
 * order), or {@code backend truncated TEXT}: the server sees no whole request, and at most a beginning of TEXT
 * before its connection is closed (a body found broken after its head went on), and optionally {@code config underscores} (a proxy with {@code underscores_in_headers: true}). A
 * status followed by {@code h} ({@code 200h}) answers a HEAD: it has no body. TEXT takes escapes {@code \r \n \t \\ \xHH}
 * and macros expanded first: {@code {repeat N TEXT}}, {@code {fwd HOST}} (the forwarding headers the proxy
 * adds for a client on 127.0.0.1 asking for HOST), and {@code {addr}} (the proxy's own address).
 * {@code #} starts a comment line; a {@code |} line separates requests in {@code backend} expectations.
 */
record HostileCase(String group, String name, String send, List<Integer> statuses, List<Boolean> toHead,
                   boolean close, List<String> backend, boolean truncated, boolean underscores) {

    @Override
    public String toString() {
        return group + "/" + name;
    }

    /** The octets to send, with {@code addr} for the proxy's address. */
    byte[] sendBytes(String addr) {
        return unescape(expand(send, addr));
    }

    /** The requests the server must see, each as octets. */
    List<byte[]> backendBytes(String addr) {
        List<byte[]> out = new ArrayList<>();
        for (String b : backend) {
            out.add(unescape(expand(b, addr)));
        }
        return out;
    }

    static List<HostileCase> load(String resource) throws IOException {
        try (InputStream in = HostileCase.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no resource " + resource);
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    static List<HostileCase> parse(String text) {
        List<HostileCase> cases = new ArrayList<>();
        String group = null;
        Builder b = null;
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int sp = line.indexOf(' ');
            String key = sp < 0 ? line : line.substring(0, sp);
            String rest = sp < 0 ? "" : line.substring(sp + 1);
            switch (key) {
                case "group" -> {
                    if (b != null) {
                        cases.add(b.build());
                        b = null;
                    }
                    group = rest.trim();
                }
                case "case" -> {
                    if (b != null) {
                        cases.add(b.build());
                    }
                    b = new Builder(group, rest.trim(), lineNo);
                }
                case "send" -> b.send.append(rest);
                case "expect" -> {
                    String[] words = rest.trim().split(" +");
                    for (int i = 0; i < words.length - 1; i++) {
                        boolean head = words[i].endsWith("h");
                        b.statuses.add(Integer.parseInt(head ? words[i].substring(0, words[i].length() - 1) : words[i]));
                        b.toHead.add(head);
                    }
                    String how = words[words.length - 1];
                    if (!how.equals("close") && !how.equals("open")) {
                        throw new IllegalArgumentException("line " + lineNo + ": expect ends with close or open");
                    }
                    b.close = how.equals("close");
                    b.expected = true;
                }
                case "backend" -> {
                    b.backendSeen = true;
                    if (rest.startsWith("truncated ")) {
                        b.truncated = true;
                        b.current.append(rest.substring("truncated ".length()));
                    } else if (!rest.trim().equals("none")) {
                        b.current.append(rest);
                    }
                }
                case "|" -> {
                    b.backend.add(b.current.toString());
                    b.current.setLength(0);
                }
                case "config" -> b.underscores = rest.trim().equals("underscores");
                default -> throw new IllegalArgumentException("line " + lineNo + ": unknown key " + key);
            }
        }
        if (b != null) {
            cases.add(b.build());
        }
        return cases;
    }

    private static final class Builder {
        final String group;
        final String name;
        final int line;
        final StringBuilder send = new StringBuilder();
        final List<Integer> statuses = new ArrayList<>();
        final List<Boolean> toHead = new ArrayList<>();
        final List<String> backend = new ArrayList<>();
        final StringBuilder current = new StringBuilder();
        boolean close;
        boolean expected;
        boolean backendSeen;
        boolean underscores;
        boolean truncated;

        Builder(String group, String name, int line) {
            this.group = group;
            this.name = name;
            this.line = line;
        }

        HostileCase build() {
            if (group == null || !expected || !backendSeen || send.length() == 0) {
                throw new IllegalArgumentException("case " + name + " (line " + line
                        + ") needs a group, send, expect and backend");
            }
            if (current.length() > 0) {
                backend.add(current.toString());
            }
            return new HostileCase(group, name, send.toString(), List.copyOf(statuses), List.copyOf(toHead), close,
                    List.copyOf(backend), truncated, underscores);
        }
    }

    /** Expands the macros of {@code text}; {@code {repeat}} may hold other macros and escapes. */
    static String expand(String text, String addr) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int open = text.indexOf('{', i);
            if (open < 0) {
                out.append(text, i, text.length());
                break;
            }
            int close = text.indexOf('}', open);
            String macro = close < 0 ? null : text.substring(open + 1, close);
            UnaryOperator<String> expansion = macro == null ? null : macro(macro, addr);
            if (expansion == null) {
                out.append(text, i, open + 1);
                i = open + 1;
                continue;
            }
            out.append(text, i, open).append(expansion.apply(macro));
            i = close + 1;
        }
        return out.toString();
    }

    private static UnaryOperator<String> macro(String macro, String addr) {
        if (macro.equals("addr")) {
            return m -> addr;
        }
        if (macro.startsWith("fwd ")) {
            return m -> {
                String host = m.substring(4).replace("{addr}", addr).replace("ADDR", addr);
                String quoted = host.indexOf(':') >= 0 ? "\"" + host + "\"" : host;
                return "x-forwarded-for: 127.0.0.1\\r\\nx-real-ip: 127.0.0.1\\r\\nx-forwarded-proto: http\\r\\n"
                        + "x-forwarded-host: " + host + "\\r\\nforwarded: for=127.0.0.1;host=" + quoted
                        + ";proto=http\\r\\n";
            };
        }
        if (macro.startsWith("repeat ")) {
            return m -> {
                int sp = m.indexOf(' ', 7);
                int n = Integer.parseInt(m.substring(7, sp));
                return m.substring(sp + 1).repeat(n);
            };
        }
        return null;
    }

    static byte[] unescape(String s) {
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char e = s.charAt(++i);
                switch (e) {
                    case 'r' -> out[n++] = '\r';
                    case 'n' -> out[n++] = '\n';
                    case 't' -> out[n++] = '\t';
                    case '\\' -> out[n++] = '\\';
                    case 'x' -> {
                        out[n++] = (byte) Integer.parseInt(s.substring(i + 1, i + 3), 16);
                        i += 2;
                    }
                    default -> throw new IllegalArgumentException("unknown escape \\" + e);
                }
            } else if (c > 0xFF) {
                throw new IllegalArgumentException("write octets above 0x7F as \\xHH");
            } else {
                out[n++] = (byte) c;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
