/**
 * A group's picture and description (actors/conversation/groupProfile.ts): only group admins change
 * them; bad input is refused and changes nothing; each change is a `profile` event that members'
 * sockets get live, that a resume replays and history shows, and that a reloaded actor (as after a
 * restart) reads back; the picture reaches every member's conversation list.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { BunActorSystem } from "../../hosts/bun/BunActorSystem.ts";
import { makeSystem, member, TestConn, tick } from "./harness.ts";

let env: Awaited<ReturnType<typeof makeSystem>>;
afterEach(async () => env && (await env.close()));

const ID = "g_profilegroup1";

async function group() {
  env = await makeSystem();
  const conv = env.system.conversation(ID);
  // ann creates the group and is its admin; ben and cat are members.
  await conv.create({ userId: "ann" }, { type: "group", title: "Climbing", members: ["ann", "ben", "cat"].map((m) => member(m)) });
  return conv;
}

describe("group picture and description", () => {
  test("an admin sets them, members see the events live and in their list; info has them", async () => {
    const conv = await group();
    const ben = new TestConn("ben");
    await conv.connect(ben, {});
    const d = await conv.setGroupProfile({ userId: "ann" }, { description: "  Saturdays at the wall.\nBring shoes.  " });
    const p = await conv.setGroupProfile({ userId: "ann" }, { picture: "v_abcdefghij" });
    expect(p.seq).toBe(d.seq + 1);
    await tick();
    const events = ben.of("event").map((f) => f.e).filter((e) => e.kind === "profile");
    expect(events).toEqual([
      expect.objectContaining({ seq: d.seq, author: "ann", changed: "description", description: "Saturdays at the wall.\nBring shoes." }),
      expect.objectContaining({ seq: p.seq, author: "ann", changed: "picture", description: "Saturdays at the wall.\nBring shoes.", picture: "v_abcdefghij" }),
    ]);
    expect(await conv.info({ userId: "cat" })).toMatchObject({ description: "Saturdays at the wall.\nBring shoes.", picture: "v_abcdefghij" });
    // The list row carries the picture (not the description), for every member.
    let row: any;
    for (let i = 0; i < 50 && row?.picture !== "v_abcdefghij"; i++) {
      await tick(20);
      row = (await env.system.inbox("cat").list({ userId: "cat" })).find((c) => c.id === ID);
    }
    expect(row).toMatchObject({ picture: "v_abcdefghij", lastSeq: p.seq });
    expect(row).not.toHaveProperty("description");
  });

  test("a member may not; bad input is refused; nothing changes either way", async () => {
    const conv = await group();
    await conv.setGroupProfile({ userId: "ann" }, { description: "Ours" });
    const before = await conv.info({ userId: "ann" });
    await expect(conv.setGroupProfile({ userId: "ben" }, { description: "Mine now" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(conv.setGroupProfile({ userId: "ben" }, { picture: null })).rejects.toMatchObject({ code: "forbidden" });
    await expect(conv.setGroupProfile({ userId: "eve" }, { description: "x" })).rejects.toMatchObject({ code: "not_member" });
    for (const bad of [
      { description: "x".repeat(501) },
      { description: "a\u0000b" },
      { description: "bell\u0007" },
      { picture: "../../etc/passwd" },
      { picture: "v_short" },
      { description: "x", picture: null },
      { title: "not this way" },
      {},
      null,
    ])
      await expect(conv.setGroupProfile({ userId: "ann" }, bad as any)).rejects.toMatchObject({ code: "bad_request" });
    // Setting what is there already, or removing what is not, logs nothing.
    await expect(conv.setGroupProfile({ userId: "ann" }, { description: "Ours" })).rejects.toMatchObject({ code: "conflict" });
    await expect(conv.setGroupProfile({ userId: "ann" }, { picture: null })).rejects.toMatchObject({ code: "conflict" });
    expect(await conv.info({ userId: "ann" })).toEqual(before);
    // Once made an admin, ben may.
    await conv.setRole({ userId: "ann" }, "ben", "admin");
    await conv.setGroupProfile({ userId: "ben" }, { description: "" });
    expect(await conv.info({ userId: "ann" })).not.toHaveProperty("description");
  });

  test("a direct conversation has neither", async () => {
    env = await makeSystem();
    const conv = env.system.conversation("d_profiledirect1");
    await conv.create({ userId: "ann" }, { type: "direct", title: "", members: [member("ann"), member("ben")] });
    await expect(conv.setGroupProfile({ userId: "ann" }, { description: "hi" })).rejects.toMatchObject({ code: "bad_request" });
  });

  test("the events replay on resume, show in history, and a reloaded actor has the profile", async () => {
    const conv = await group();
    const first = await conv.send({ userId: "ben" }, { clientId: "ben-first-1", text: "hello" });
    await conv.setGroupProfile({ userId: "ann" }, { picture: "v_firstpic01" });
    await conv.setGroupProfile({ userId: "ann" }, { description: "Climbing club" });
    const last = await conv.setGroupProfile({ userId: "ann" }, { picture: "v_secondpic2" });
    await conv.send({ userId: "ben" }, { clientId: "ben-after-1", text: "nice" }); // later messages do not hide it

    const info = await conv.info({ userId: "cat" });
    const cat = new TestConn("cat");
    await conv.connect(cat, { after: first.seq, epoch: info.epoch });
    await tick();
    const welcome = cat.of("welcome")[0];
    expect(welcome.recovered).toBe(true);
    const replayed = welcome.events.filter((e: any) => e.kind === "profile");
    expect(replayed.map((e: any) => [e.changed, e.picture ?? null, e.description ?? null])).toEqual([
      ["picture", "v_firstpic01", null],
      ["description", "v_firstpic01", "Climbing club"],
      ["picture", "v_secondpic2", "Climbing club"],
    ]);
    const page = await conv.history({ userId: "cat" }, undefined, 50);
    expect(page.events.filter((e) => e.kind === "profile").map((e) => e.seq).at(-1)).toBe(last.seq);

    const reborn = new BunActorSystem(env.sql).conversation(ID);
    expect(await reborn.info({ userId: "cat" })).toMatchObject({ description: "Climbing club", picture: "v_secondpic2" });
    await reborn.setGroupProfile({ userId: "ann" }, { picture: null });
    const again = new BunActorSystem(env.sql).conversation(ID);
    const after = await again.info({ userId: "cat" });
    expect(after.description).toBe("Climbing club");
    expect(after).not.toHaveProperty("picture");
  });
});
