/**
 * Which earlier rules the linter has to compare a rule with.
 *
 * "Rule A hides rule B" needs A to name every profile and every user B names, and
 * "A and B overlap" needs them to share a profile and a user; a rule with no
 * condition on a side matches everything on it. So, as src/policy/compile.ts does for
 * the evaluator, rules are filed under what they name, by which sides they name:
 * - neither profiles nor users (or groups): `everyone`, compared with every rule;
 * - profiles only: under each of its profiles;
 * - users only: under each of its users, group members included;
 * - both: under each profile and, apart, under each user; a query reads the shorter side.
 *
 * Lists are filled in document order, so each is ascending. The index only narrows the
 * search: every candidate it returns is checked in full by the caller, and every rule
 * it leaves out would have failed that check on profiles or users.
 */

/** A set of names a condition accepts; `null` means any name. */
export type NameSet = ReadonlySet<string> | null;

/** What a rule names, side by side; a rule's user set includes the members of its groups. */
export interface NamedSides {
  readonly profiles: NameSet;
  readonly users: NameSet;
}

const NO_RULES: readonly number[] = [];

/** Rule indices by name, plus every rule filed at all; each list ascending. */
class Filing {
  readonly all: number[] = [];
  private readonly byName = new Map<string, number[]>();

  add(index: number, names: ReadonlySet<string>): void {
    this.all.push(index);
    for (const name of names) {
      const list = this.byName.get(name);
      if (list === undefined) this.byName.set(name, [index]);
      else list.push(index);
    }
  }

  get(name: string): readonly number[] {
    return this.byName.get(name) ?? NO_RULES;
  }

  /**
   * Holds every rule filed under all of `names`: the list of the rarest one. For no
   * names at all, every rule (each contains all of none).
   */
  containingAll(names: ReadonlySet<string>): readonly number[] {
    let shortest: readonly number[] | undefined;
    for (const name of names) {
      const list = this.get(name);
      if (shortest === undefined || list.length < shortest.length) shortest = list;
    }
    return shortest ?? this.all;
  }

  /** The rules filed under any of `names` (`null`: every rule), unsorted, possibly repeated. */
  sharingAny(names: NameSet): readonly number[] {
    if (names === null) return this.all;
    const lists = [...names].map((name) => this.get(name));
    return lists.length === 1 ? lists[0]! : lists.flat();
  }

  /** How many entries {@link sharingAny} would return, without building them. */
  countSharingAny(names: NameSet): number {
    if (names === null) return this.all.length;
    let count = 0;
    for (const name of names) count += this.get(name).length;
    return count;
  }
}

/** Rules filed as the module comment says; `add` them in document order. */
export class RuleIndex {
  private readonly everyone: number[] = [];
  private readonly profilesOnly = new Filing();
  private readonly usersOnly = new Filing();
  private readonly bothByProfile = new Filing();
  private readonly bothByUser = new Filing();

  add(index: number, rule: NamedSides): void {
    const { profiles, users } = rule;
    if (profiles === null) {
      if (users === null) this.everyone.push(index);
      else this.usersOnly.add(index, users);
    } else if (users === null) {
      this.profilesOnly.add(index, profiles);
    } else {
      this.bothByProfile.add(index, profiles);
      this.bothByUser.add(index, users);
    }
  }

  /**
   * Lists, each ascending, that together hold every filed rule naming all of `rule`'s
   * profiles and all of its users (or nothing on a side: any). They may hold more, and
   * may share entries.
   */
  coverCandidates(rule: NamedSides): (readonly number[])[] {
    const { profiles, users } = rule;
    const lists: (readonly number[])[] = [this.everyone];
    // A rule with a condition on a side cannot cover one without: it leaves some name out.
    if (profiles !== null) lists.push(this.profilesOnly.containingAll(profiles));
    if (users !== null) lists.push(this.usersOnly.containingAll(users));
    if (profiles !== null && users !== null) {
      const byProfile = this.bothByProfile.containingAll(profiles);
      const byUser = this.bothByUser.containingAll(users);
      lists.push(byProfile.length <= byUser.length ? byProfile : byUser);
    }
    return lists;
  }

  /**
   * Every filed rule that can share a profile and a user with `rule` (a side without a
   * condition shares everything), ascending, each once; possibly more.
   */
  overlapCandidates(rule: NamedSides): number[] {
    const { profiles, users } = rule;
    // Rules naming both sides are read from the side that brings fewer of them.
    const viaProfiles = this.bothByProfile.countSharingAny(profiles);
    const viaUsers = this.bothByUser.countSharingAny(users);
    const both = viaProfiles <= viaUsers ? this.bothByProfile.sharingAny(profiles) : this.bothByUser.sharingAny(users);
    const found = this.everyone.concat(this.profilesOnly.sharingAny(profiles), this.usersOnly.sharingAny(users), both);
    found.sort((a, b) => a - b);
    return found.filter((index, at) => at === 0 || found[at - 1] !== index);
  }
}
