import { describe, expect, it } from 'vitest';
import { optimize } from '../src/index.js';
import { morphDocument, pbrDocument, skinnedDocument, toGlb } from './helpers/fixtures.js';
import { glbJson, readGlb } from './helpers/read.js';

describe('optimize preserves', () => {
  it('flatten (opt-in) drops empty nodes such as sockets, as gltf-transform does, and keeps skins and animations', async () => {
    const input = await toGlb(skinnedDocument());
    const kept = await optimize(input);
    const flat = await optimize(input, { flatten: true });
    const root = (await readGlb(flat.glb)).getRoot();
    const names = root.listNodes().map((n) => n.getName());
    expect(names).not.toContain('socket_hand');
    expect(names).toEqual(expect.arrayContaining(['joint_root', 'joint_upper', 'column']));
    expect(root.listSkins()[0]?.listJoints().map((j) => j.getName())).toEqual(['joint_root', 'joint_upper']);
    expect(root.listAnimations()[0]?.listChannels()[0]?.getTargetNode()?.getName()).toBe('joint_upper');
    expect(flat.glb.byteLength).toBeLessThan(kept.glb.byteLength);
    expect(flat.report.validation.added).toEqual([]);
    await expect(optimize(input, { flatten: 'yes' } as never)).rejects.toThrow(/flatten/);
  });

  it('skins, joints, animations, node names and extras', async () => {
    const { glb, report } = await optimize(await toGlb(skinnedDocument()));
    const doc = await readGlb(glb);
    const root = doc.getRoot();

    expect(root.listSkins()).toHaveLength(1);
    const skin = root.listSkins()[0]!;
    expect(skin.getName()).toBe('column_skin');
    expect(skin.listJoints().map((j) => j.getName())).toEqual(['joint_root', 'joint_upper']);
    expect(skin.getInverseBindMatrices()?.getCount()).toBe(2);
    const prim = root.listMeshes()[0]!.listPrimitives()[0]!;
    expect(prim.getAttribute('JOINTS_0')).not.toBeNull();
    expect(prim.getAttribute('WEIGHTS_0')).not.toBeNull();

    const names = root.listNodes().map((n) => n.getName());
    expect(names).toEqual(expect.arrayContaining(['joint_root', 'joint_upper', 'socket_hand', 'column']));
    expect(root.listNodes().find((n) => n.getName() === 'socket_hand')?.getExtras()).toEqual({ attach: 'weapon' });
    expect(root.listNodes().find((n) => n.getName() === 'joint_root')?.getExtras()).toEqual({ bone: 'root' });

    expect(root.listAnimations()).toHaveLength(1);
    const animation = root.listAnimations()[0]!;
    expect(animation.getName()).toBe('bend');
    expect(animation.getExtras()).toEqual({ loop: true });
    const channel = animation.listChannels()[0]!;
    expect(channel.getTargetPath()).toBe('rotation');
    expect(channel.getTargetNode()?.getName()).toBe('joint_upper');
    // resample dropped the redundant held keyframes but kept the start and end times.
    const times = channel.getSampler()!.getInput()!;
    expect(times.getCount()).toBeLessThan(61);
    expect(times.getMin([])[0]).toBeCloseTo(0, 5);
    expect(times.getMax([])[0]).toBeCloseTo(2, 2);

    expect(report.after.triangles).toBe(report.before.triangles);
    expect(report.validation.added).toEqual([]);
  });

  it('morph targets, their weights, target names and the weight animation', async () => {
    const { glb } = await optimize(await toGlb(morphDocument()));
    const doc = await readGlb(glb);
    const mesh = doc.getRoot().listMeshes()[0]!;
    expect(mesh.getName()).toBe('grid');
    expect(mesh.getWeights()).toEqual([0]);
    expect(mesh.getExtras()).toEqual({ targetNames: ['bulge'] });
    const targets = mesh.listPrimitives()[0]!.listTargets();
    expect(targets).toHaveLength(1);
    const delta = targets[0]!.getAttribute('POSITION')!;
    // The bulge survives quantization: its largest displacement is still ~0.5.
    let peak = 0;
    const el: number[] = [];
    for (let i = 0; i < delta.getCount(); i++) peak = Math.max(peak, delta.getElement(i, el)[1]!);
    const node = doc.getRoot().listNodes().find((n) => n.getName() === 'grid')!;
    expect(peak * node.getScale()[1]).toBeCloseTo(0.5, 1);
    const animation = doc.getRoot().listAnimations()[0]!;
    expect(animation.getName()).toBe('pulse');
    expect(animation.listChannels()[0]!.getTargetPath()).toBe('weights');
  });

  it('materials, KHR material extensions, texture transforms, extras and names', async () => {
    const { glb } = await optimize(await toGlb(await pbrDocument(64, 64)), { textures: 'keep' });
    const json = glbJson(glb);
    expect(json['extensionsUsed']).toEqual(
      expect.arrayContaining(['KHR_materials_clearcoat', 'KHR_materials_emissive_strength', 'KHR_texture_transform']),
    );
    const doc = await readGlb(glb);
    const material = doc.getRoot().listMaterials()[0]!;
    expect(material.getName()).toBe('painted_metal');
    expect(material.getExtras()).toEqual({ surface: 'car_paint' });
    expect(material.getEmissiveFactor()).toEqual([1, 0.5, 0.25]);
    expect(material.getNormalScale()).toBe(0.8);
    const clearcoat = material.getExtension<import('@gltf-transform/extensions').Clearcoat>('KHR_materials_clearcoat')!;
    expect(clearcoat.getClearcoatFactor()).toBeCloseTo(0.7);
    expect(clearcoat.getClearcoatTexture()?.getName()).toBe('clearcoat');
    expect(clearcoat.getClearcoatNormalTexture()?.getName()).toBe('clearcoat_normal');
    expect(material.getExtension<import('@gltf-transform/extensions').EmissiveStrength>('KHR_materials_emissive_strength')?.getEmissiveStrength()).toBe(2);
    const transform = material.getBaseColorTextureInfo()?.getExtension<import('@gltf-transform/extensions').Transform>('KHR_texture_transform');
    expect(transform?.getScale()).toEqual([2, 2]);
    expect(doc.getRoot().listTextures().map((t) => t.getName()).sort()).toEqual(
      ['albedo', 'clearcoat', 'clearcoat_normal', 'emissive', 'metal_rough', 'normal', 'occlusion'],
    );
  });
});
