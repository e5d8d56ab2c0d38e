// Dumps the Java 17 Unicode tables that java.util.regex consults but JavaScript cannot reproduce by name:
// Character.UnicodeBlock ranges and the names UnicodeBlock.forName accepts, Character.UnicodeScript names
// and aliases, and the simple case mappings (Character.toUpperCase/toLowerCase) used by UNICODE_CASE.
// Consumed by gen-java-regex-unicode.ts, which writes ../java-regex/unicode-data.ts; reflection needs
//   java --add-opens java.base/java.lang=ALL-UNNAMED JavaRegexUnicodeDump.java
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

public class JavaRegexUnicodeDump {
  public static void main(String[] args) throws Exception {
    StringBuilder out = new StringBuilder();
    out.append("{\"javaVersion\":\"").append(System.getProperty("java.version")).append("\"");

    Field blockStarts = Character.UnicodeBlock.class.getDeclaredField("blockStarts");
    Field blocks = Character.UnicodeBlock.class.getDeclaredField("blocks");
    Field blockMap = Character.UnicodeBlock.class.getDeclaredField("map");
    blockStarts.setAccessible(true);
    blocks.setAccessible(true);
    blockMap.setAccessible(true);
    int[] starts = (int[]) blockStarts.get(null);
    Character.UnicodeBlock[] bs = (Character.UnicodeBlock[]) blocks.get(null);
    @SuppressWarnings("unchecked")
    Map<String, Character.UnicodeBlock> bmap = (Map<String, Character.UnicodeBlock>) blockMap.get(null);
    Map<String, List<String>> blockKeys = new TreeMap<>();
    for (Map.Entry<String, Character.UnicodeBlock> e : bmap.entrySet()) {
      blockKeys.computeIfAbsent(e.getValue().toString(), k -> new ArrayList<>()).add(e.getKey());
    }
    out.append(",\"blocks\":[");
    boolean first = true;
    for (int i = 0; i < bs.length; i++) {
      if (bs[i] == null) continue;
      int end = i + 1 < starts.length ? starts[i + 1] - 1 : Character.MAX_CODE_POINT;
      if (!first) out.append(',');
      first = false;
      out.append("{\"id\":\"").append(bs[i]).append("\",\"start\":").append(starts[i]).append(",\"end\":").append(end);
      out.append(",\"keys\":[");
      List<String> keys = blockKeys.get(bs[i].toString());
      keys.sort(null);
      for (int k = 0; k < keys.size(); k++) {
        if (k > 0) out.append(',');
        out.append('"').append(keys.get(k)).append('"');
      }
      out.append("]}");
    }
    out.append(']');

    Field aliases = Character.UnicodeScript.class.getDeclaredField("aliases");
    aliases.setAccessible(true);
    @SuppressWarnings("unchecked")
    Map<String, Character.UnicodeScript> amap = (Map<String, Character.UnicodeScript>) aliases.get(null);
    out.append(",\"scripts\":[");
    first = true;
    for (Character.UnicodeScript sc : Character.UnicodeScript.values()) {
      if (!first) out.append(',');
      first = false;
      out.append("{\"id\":\"").append(sc.name()).append("\",\"aliases\":[");
      boolean f2 = true;
      for (Map.Entry<String, Character.UnicodeScript> e : new TreeMap<>(amap).entrySet()) {
        if (e.getValue() != sc) continue;
        if (!f2) out.append(',');
        f2 = false;
        out.append('"').append(e.getKey()).append('"');
      }
      out.append("]}");
    }
    out.append(']');

    out.append(",\"caseMap\":[");
    first = true;
    for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
      int up = Character.toUpperCase(cp);
      int lo = Character.toLowerCase(cp);
      if (up == cp && lo == cp) continue;
      if (!first) out.append(',');
      first = false;
      out.append(cp).append(',').append(up).append(',').append(lo);
    }
    out.append("]}");
    System.out.println(out);
  }
}
