package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusChangesTest {

    private static final Instant NOW = Instant.parse("2026-12-07T04:10:00Z");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> doc(String json) throws IOException {
        return (Map<String, Object>) Json.parse(json.replace('\'', '"'));
    }

    private static String server(String state, String active, String since, String reason) {
        return "{'upstreams':[{'name':'web','servers':[{'address':'10.0.0.21:8000','state':'" + state + "','active':'"
                + active + "','active_since':'" + since + "','down_reason':" + (reason == null ? "null" : "'" + reason + "'")
                + "}]}]}";
    }

    @Test
    void aServerGoingDownSaysWhyAndSinceWhen() throws Exception {
        List<StatusChanges.Change> c = StatusChanges.between(
                doc(server("up", "up", "2026-12-07T03:00:00Z", null)),
                doc(server("down", "down", "2026-12-07T04:09:58Z", "health check: refused")), NOW);
        assertEquals(1, c.size());
        assertEquals("health", c.get(0).kind());
        assertEquals("error", c.get(0).level());
        assertEquals("web/10.0.0.21:8000", c.get(0).subject());
        assertEquals("up → down: health check: refused", c.get(0).text());
        assertEquals(Instant.parse("2026-12-07T04:09:58Z"), c.get(0).at());
    }

    @Test
    void nothingChangedIsNothing() throws Exception {
        String s = server("up", "up", "2026-12-07T03:00:00Z", null);
        assertEquals(List.of(), StatusChanges.between(doc(s), doc(s), NOW));
    }

    @Test
    void aRefusedReloadCarriesItsErrors() throws Exception {
        Map<String, Object> before = doc("{'config':{'last_reload':{'result':'ok','trigger':'start','at':'2026-12-07T03:00:00Z'}}}");
        Map<String, Object> after = doc("{'config':{'last_reload':{'result':'rejected','trigger':'SIGHUP','at':'2026-12-07T04:09:59Z',"
                + "'message':'config refused','errors':[{'text':'tandem.yaml:3:5: listeners: unknown key'}]}}}");
        List<StatusChanges.Change> c = StatusChanges.between(before, after, NOW);
        assertEquals(1, c.size());
        assertEquals("reload", c.get(0).kind());
        assertEquals("error", c.get(0).level());
        assertTrue(c.get(0).text().contains("tandem.yaml:3:5: listeners: unknown key"), c.get(0).text());
        assertEquals(Instant.parse("2026-12-07T04:09:59Z"), c.get(0).at());
    }

    @Test
    void aVipMovingIsATransitionAndAFailover() throws Exception {
        Map<String, Object> before = doc("{'cluster':{'maintenance':false,'healthy':true,'vips':[{'vip':'203.0.113.10',"
                + "'state':'MASTER','holder':'lb1','last_transition':'2026-12-07T03:00:00Z','last_reason':'start'}]}}");
        Map<String, Object> after = doc("{'cluster':{'maintenance':false,'healthy':false,'health_reason':'listener down',"
                + "'vips':[{'vip':'203.0.113.10','state':'BACKUP','holder':'lb2','last_transition':'2026-12-07T04:09:57Z',"
                + "'last_reason':'unhealthy'}]}}");
        List<StatusChanges.Change> c = StatusChanges.between(before, after, NOW);
        assertEquals(List.of("node", "transition", "failover"), c.stream().map(StatusChanges.Change::kind).toList());
        assertEquals("MASTER → BACKUP (unhealthy)", c.get(1).text());
        assertEquals("moved from lb1 to lb2 (unhealthy)", c.get(2).text());
        assertEquals(Instant.parse("2026-12-07T04:09:57Z"), c.get(2).at());
    }

    @Test
    void aHeldDeletionAndAConflictAreSeen() throws Exception {
        Map<String, Object> before = doc("{'mirror':{'held_deletions':[],'conflicts':[]}}");
        Map<String, Object> after = doc("{'mirror':{'held_deletions':[{'root':'/var/www','files':900,'files_then':1000,"
                + "'from':'lb2','since':'2026-12-07T04:09:00Z'}],'conflicts':[{'path':'/var/www/a.html','winner':'lb1',"
                + "'loser':'lb2','kept_as':'/var/www/a.html.lb2','at':'2026-12-07T04:09:30Z'}]}}");
        List<StatusChanges.Change> c = StatusChanges.between(before, after, NOW);
        assertEquals(2, c.size());
        assertEquals("deletion of 900 of 1000 files held (from lb2): confirm or restore", c.get(0).text());
        assertTrue(c.get(1).text().startsWith("conflict: lb1 won"), c.get(1).text());
        assertEquals(1, StatusChanges.between(after, before, NOW).size(), "the held deletion let go");
    }

    @Test
    void theFirstLookRecordsWhatIsAlreadyDown() throws Exception {
        List<StatusChanges.Change> c = StatusChanges.initial(
                doc(server("down", "down", "2026-12-07T04:09:58Z", "health check: refused")), NOW);
        assertEquals(1, c.size());
        assertEquals("down: health check: refused", c.get(0).text());
        assertEquals(List.of(), StatusChanges.initial(doc(server("up", "up", "2026-12-07T03:00:00Z", null)), NOW));
    }
}
