import { MAX_IMAGE_PROMPTS, effectiveAdapter } from '../../editor/imagePrompt.ts';
import { ipAdapterEntries } from '../../state/modelsSlice.ts';
import { useStudioState } from '../StoreContext.ts';
import { CollapsiblePanel } from '../ui/CollapsiblePanel.tsx';
import { ImagePicker } from '../ui/ImagePicker.tsx';
import { ProblemNote } from '../ui/ProblemNote.tsx';
import { AdapterFields } from './AdapterFields.tsx';
import { ReferenceImageRow } from './ReferenceImageRow.tsx';

const NO_ADAPTER =
  'No IP-Adapter in the models folder. Put one there (for example ip-adapter_sd15.safetensors with its image_encoder/ folder beside it) and rescan in Models & settings.';

/** IP-Adapter image prompts: reference images with their scales, the adapter file and the InstantStyle preset. */
export function ImagePromptPanel() {
  const { imagePrompt, models, problem, add, remove, setScale, setImagePrompt, setPreset, setProblem } = useStudioState((s) => ({
    imagePrompt: s.imagePrompt, models: s.models, problem: s.imagePromptProblem, add: s.addReferenceImages, remove: s.removeReferenceImage,
    setScale: s.setReferenceScale, setImagePrompt: s.setImagePrompt, setPreset: s.setBlockPreset, setProblem: s.setImagePromptProblem,
  }));
  const adapters = ipAdapterEntries(models);
  const adapter = effectiveAdapter(imagePrompt.adapter, adapters.map((m) => m.path));
  const { images } = imagePrompt;
  const full = images.length >= MAX_IMAGE_PROMPTS;
  return (
    <CollapsiblePanel title="Image prompt" badge={images.length ? `${images.length}` : undefined} openWhen={images.length > 0 || Boolean(problem)} testId="image-prompt-panel">
      {adapters.length === 0 ? (
        <p className="muted small" data-testid="image-prompt-unavailable">{NO_ADAPTER}</p>
      ) : (
        <AdapterFields adapters={adapters} adapter={adapter} preset={imagePrompt.preset} custom={Boolean(imagePrompt.customBlocks)} onAdapter={(path) => setImagePrompt({ adapter: path })} onPreset={setPreset} />
      )}
      {images.length > 0 && (
        <ol className="ref-list" aria-label="Reference images">
          {images.map((image, i) => (
            <ReferenceImageRow key={image.key} image={image} index={i} onScale={(v) => setScale(image.key, v)} onRemove={() => remove(image.key)} />
          ))}
        </ol>
      )}
      {adapters.length > 0 && (
        <ImagePicker
          label={full ? `${MAX_IMAGE_PROMPTS} images (the most)` : 'Add reference image…'}
          hint={full ? 'Remove one to add another.' : 'or drop or paste one here'}
          multiple
          disabled={full}
          testId="reference-file"
          onFiles={(files) => void add(files)}
        />
      )}
      {images.length > 0 && (
        <p className="muted small" data-testid="image-prompt-hint">
          Generate and Inpaint use these images as well as the prompt (scale 1 for the image alone, about 0.5 beside text). Edit (prompt-to-prompt) cannot use them yet.
        </p>
      )}
      <ProblemNote problem={problem} onDismiss={() => setProblem(null)} />
    </CollapsiblePanel>
  );
}
